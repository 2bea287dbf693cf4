import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_ON_RAMPS } from '@itinera/adapters';
import { silentLogger, type OnRamp, type OnRampCloseOptions } from '@itinera/core';
import { CONFIG_SPEC } from './config';
import { RunningOnRamps, runsOn, settingsFor } from './on-ramp-runner';

const ctxFor = (onRamp: OnRamp<any>) => ({ settings: {}, onRamp }) as never;

function recorder(name: string, log: string[], opts: Partial<OnRamp> = {}): OnRamp {
  return {
    name,
    summary: `${name} (test)`,
    spec: {},
    start: () => {
      log.push(`start ${name}`);
      return { close: async (o: OnRampCloseOptions) => void log.push(`close ${name} drain=${o.drain}`) };
    },
    ...opts,
  };
}

describe('the runtime runs on-ramps from the list', () => {
  it('starts them in order for its roles and closes them in reverse with drain', async () => {
    const log: string[] = [];
    const list = [recorder('a', log), recorder('b', log, { roles: ['worker'] }), recorder('c', log), recorder('d', log, { enabled: () => false })];
    const running = await RunningOnRamps.start(list, { gateway: true, worker: false }, ctxFor, silentLogger);
    expect(running.names()).toEqual(['a', 'c']);
    await running.close({ drain: true, reason: 'shutdown' });
    expect(log).toEqual(['start a', 'start c', 'close c drain=true', 'close a drain=true']);
  });

  it('closes those already started when one fails to start, and refuses two of one name', async () => {
    const log: string[] = [];
    const broken = recorder('broken', log, {
      start: () => {
        throw new Error('port in use');
      },
    });
    await expect(RunningOnRamps.start([recorder('a', log), broken], { gateway: true, worker: true }, ctxFor, silentLogger)).rejects.toThrow('port in use');
    expect(log).toEqual(['start a', 'close a drain=false']);
    await expect(RunningOnRamps.start([recorder('a', log), recorder('a', log)], { gateway: true, worker: true }, ctxFor, silentLogger)).rejects.toMatchObject({
      code: 'ON_RAMP_CONFLICT',
    });
  });

  it('runs an on-ramp that names no roles on gateways only', () => {
    expect(runsOn({}, { gateway: true, worker: false })).toBe(true);
    expect(runsOn({}, { gateway: false, worker: true })).toBe(false);
    expect(runsOn({ roles: ['worker'] }, { gateway: false, worker: true })).toBe(true);
  });

  it("reads an application's on-ramp settings by its spec; CONFIG_INVALID names a bad one", () => {
    const spec = { ITINERA_TCP_PORT: { type: 'integer', description: 'known' }, MY_RATE: { type: 'integer', description: 'own', default: 5 } } as const;
    const known = new Set(['ITINERA_TCP_PORT']);
    expect(settingsFor('mine', spec, { ITINERA_TCP_PORT: 7000 }, known, {})).toEqual({ ITINERA_TCP_PORT: 7000, MY_RATE: 5 });
    expect(settingsFor('mine', spec, {}, known, { MY_RATE: '9' })).toEqual({ MY_RATE: 9 });
    expect(() => settingsFor('mine', spec, {}, known, { MY_RATE: 'fast' })).toThrow(/mine on-ramp[\s\S]*MY_RATE/);
  });

  it('puts every setting an on-ramp of the list declares into CONFIG_SPEC and the generated reference', () => {
    const reference = readFileSync(resolve(__dirname, '../../../docs/reference.md'), 'utf8');
    const keys = ALL_ON_RAMPS.flatMap((r) => Object.keys(r.spec));
    expect(keys.length).toBeGreaterThan(5);
    for (const key of keys) {
      expect(CONFIG_SPEC, key).toHaveProperty(key);
      expect(reference, key).toContain(`| \`${key}\` |`);
    }
  });

  it('names no transport: the runtime imports on-ramps only through the list', () => {
    const transportNames =
      /\b(attachWebSocketDuplex|registerPollingDuplex|registerHttpOnRamp|startDualHttp|dualHttpOnRamp|startTcpDuplex|TCP_ON_RAMP|HTTP_ON_RAMP|WS_ON_RAMP|POLL_ON_RAMP|QUEUE_ON_RAMP|closeWsSendPool|TCP_ON_RAMP_SPEC|DUAL_HTTP_SPEC)\b/;
    for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
      expect(readFileSync(join(__dirname, file), 'utf8'), file).not.toMatch(transportNames);
    }
  });
});
