import { resolve } from 'node:path';
import { startNode, loadConfig, type BusConfig, type BusRoles, type StartedNode } from '@itinera/runtime';
import { silentLogger, type Logger } from '@itinera/core';
import { SAMPLE_STEPS } from '../../itineraries/extensions';

export const SAMPLES_DIR = resolve(__dirname, '../../itineraries');

export interface TestBusOptions extends Partial<BusConfig> {
  roles?: BusRoles;
  env?: Record<string, string>;
  logger?: Logger;
}

/** Start a real bus node on a free port (samples, embedded transport unless told otherwise). */
export async function startTestBus(opts: TestBusOptions = {}): Promise<StartedNode & { url: string }> {
  const { roles, env, logger, ...overrides } = opts;
  const config = loadConfig({ ITINERA_LOG_LEVEL: 'silent', ...(env ?? {}) } as NodeJS.ProcessEnv, {
    port: 0,
    host: '127.0.0.1',
    itinerariesDir: SAMPLES_DIR,
    ...overrides,
  });
  const node = await startNode({ roles: roles ?? { gateway: true, worker: true }, steps: SAMPLE_STEPS, config, logger: logger ?? silentLogger });
  return node as StartedNode & { url: string };
}
