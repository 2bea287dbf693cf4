import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, ROOT } from './children';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export const PROFILE_DIR = join(BENCH_DIR, 'results/profiles');

/** Where a frame's code lives: libs/<lib>/src/<file>, a package, node internals, or a V8 pseudo-frame. */
function area(url: string, name: string): string {
  if (!url) return `(${name || 'native'})`.replace(/^\(\((.*)\)\)$/, '($1)');
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  if (path.startsWith('node:')) return 'node internals';
  if (path.startsWith(ROOT)) return path.slice(ROOT.length + 1);
  return path;
}

/** Self time by function and by file or package, as text. */
export function summariseProfile(file: string, top = 15): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fn = new Map<string, number>();
  const areas = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'}  ${area(url, functionName)}${url ? `:${lineNumber + 1}` : ''}`;
  };
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const where = area(n.callFrame.url, n.callFrame.functionName);
    fn.set(keyOf(n), (fn.get(keyOf(n)) ?? 0) + us);
    areas.set(where, (areas.get(where) ?? 0) + us);
  }
  // Inclusive time of the project's own functions (each sample counted once per function on its stack).
  const inclusive = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!n.callFrame.url.includes('/libs/')) continue;
      const k = keyOf(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  });
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us)}  ${k}`)
      .join('\n');
  return [
    `${file.slice(ROOT.length + 1)}: busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`,
    ' self time by file or package:',
    list(areas),
    ' self time by function:',
    list(fn),
    ' inclusive time of libs/ functions (synchronous part of each call):',
    list(inclusive),
  ].join('\n');
}

/** Summaries of every profile in bench/results/profiles. */
export function summariseProfiles(dir = PROFILE_DIR): string {
  if (!existsSync(dir)) return 'no profiles';
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  return files.length ? files.map((f) => summariseProfile(join(dir, f))).join('\n\n') : 'no profiles';
}
