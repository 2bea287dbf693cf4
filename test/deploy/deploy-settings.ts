import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_SPEC, loadConfig } from '@itinera/runtime';

/** Shared by the Compose and Kubernetes tests: what the configuration knows, read from the code. */
export const REPO = resolve(__dirname, '../..');

/** Environment variables the apps read: every CONFIG_SPEC key, NODE_ENV, and the env facts. */
export function knownSettings(env: Record<string, string> = {}): Set<string> {
  const facts = (env.ITINERA_ENV_FACTS ?? CONFIG_SPEC.ITINERA_ENV_FACTS.default).split(',').map((s) => s.trim());
  return new Set([...Object.keys(CONFIG_SPEC), 'NODE_ENV', ...facts.filter(Boolean)]);
}

/** A dotenv file: its values, and every name it mentions (commented-out examples too). */
export function readEnvFile(path: string): { values: Record<string, string>; names: string[] } {
  const values: Record<string, string> = {};
  const names: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    names.push(m[2]);
    if (!m[1]) values[m[2]] = m[3];
  }
  return { values, names };
}

/** ITINERA_SHUTDOWN_TIMEOUT_MS as the apps would read it from this environment. */
export function shutdownTimeoutMs(env: Record<string, string>): number {
  return loadConfig(env as NodeJS.ProcessEnv).shutdownTimeoutMs;
}

/** Compose durations (`20s`, `1m30s`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u];
    return '';
  });
  if (rest !== '' || text === '') throw new Error(`not a duration: ${text}`);
  return total;
}
