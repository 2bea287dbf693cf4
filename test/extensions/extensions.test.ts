import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startNode, type StartedNode } from '@itinera/runtime';
import { loadExtensions, silentLogger, type ItineraExtensions } from '@itinera/core';
import { runCli, type CliIO } from '../../apps/cli/src/cli';
import { cliParts } from '../../apps/cli/src/cli-parts';

const FIXTURE = resolve(__dirname, '../fixtures/extensions');
const MODULE = resolve(FIXTURE, 'memo.extensions.mjs');
const ITINERARIES = resolve(FIXTURE, 'itineraries');

interface Seen {
  onRampStarts: { settings: Record<string, unknown>; http: boolean; peerHttp: boolean }[];
  onRampCloses: Record<string, unknown>[];
  adapterStarts: { box: boolean }[];
  adapterCloses: boolean[];
  sent: { address: string; body: unknown; context: Record<string, unknown>; headers: Record<string, string>; options: Record<string, unknown>; box: boolean }[];
  order: string[];
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

async function cli(argv: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (s) => void (out += `${s}\n`), err: (s) => void (err += `${s}\n`) };
  const code = await runCli(argv, { ...(await cliParts(argv[0], env, FIXTURE)), io, env });
  return { code, out, err };
}

describe('an application extends the bus through ItineraModule.forRoot', () => {
  let node: StartedNode;
  let extensions: ItineraExtensions;
  let mod: { seen: Seen; inbox: { accept?: (body: unknown) => Promise<{ messageId: string }> } };

  beforeAll(async () => {
    extensions = await loadExtensions(MODULE);
    mod = (await import(MODULE)) as typeof mod;
    process.env.MEMO_IN_TAG = 'blue';
    try {
      const config = loadConfig({ ITINERA_LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv, { port: 0, host: '127.0.0.1', itinerariesDir: ITINERARIES });
      // startNode passes them to ItineraModule.forRoot({ onRamps, sendAdapters, services }).
      node = await startNode({ roles: { gateway: true, worker: true }, config, logger: silentLogger, ...extensions });
    } finally {
      delete process.env.MEMO_IN_TAG;
    }
  });
  afterAll(async () => {
    await node?.close();
  });

  it('starts its on-ramp after the built-in ones, with its own settings read by its spec', () => {
    const { seen } = mod;
    expect(seen.onRampStarts).toEqual([{ settings: { MEMO_IN_TAG: 'blue' }, http: true, peerHttp: true }]);
    expect(seen.adapterStarts).toEqual([{ box: true }]);
  });

  it('runs a message from its on-ramp through its step service to its send adapter', async () => {
    const { seen, inbox } = mod;
    const accepted = await inbox.accept!({ n: 1 });
    expect(accepted.messageId).toBeTruthy();
    await until(() => seen.sent.length > 0, 'the memo adapter to be sent the message');
    expect(seen.sent[0]).toMatchObject({
      address: 'memo:kept',
      body: { n: 1 },
      context: { stamp: 'checked' },
      headers: { 'memo-tag': 'blue' },
      options: { note: 'hello' },
      box: true,
    });
  });

  it('closes its on-ramp with drain on shutdown, before the send adapters', async () => {
    await node.close();
    const { seen } = mod;
    expect(seen.onRampCloses).toHaveLength(1);
    expect(seen.onRampCloses[0]).toMatchObject({ drain: true, reason: 'shutdown' });
    expect(seen.adapterCloses).toEqual([true]);
    expect(seen.order).toEqual(['on-ramp closed', 'adapter closed']);
  });
});

describe('the CLI sees the same extensions (ITINERA_EXTENSIONS)', () => {
  it('validates an itinerary that uses them', async () => {
    const r = await cli(['validate', ITINERARIES], { ITINERA_EXTENSIONS: 'memo.extensions.mjs' });
    expect(r.out).toContain('valid: 1 itinerary');
    expect(r.code).toBe(0);
  });

  it('refuses it without them, naming the unknown service and adapter', async () => {
    const r = await cli(['validate', ITINERARIES], {});
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/stamp/);
    expect(r.out).toMatch(/memo/);
  });

  it('draws it with them', async () => {
    const r = await cli(['graph', ITINERARIES, 'memo-flow'], { ITINERA_EXTENSIONS: MODULE });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/stamp/);
  });

  it('says what is wrong with a bad extensions module', async () => {
    await expect(cliParts('validate', { ITINERA_EXTENSIONS: 'no-such.mjs' }, FIXTURE)).rejects.toMatchObject({ code: 'EXTENSIONS_INVALID' });
    await expect(cliParts('validate', { ITINERA_EXTENSIONS: resolve(ITINERARIES, 'memo-flow.json') }, FIXTURE)).rejects.toMatchObject({
      code: 'EXTENSIONS_INVALID',
    });
    // Bus commands never load it.
    await expect(cliParts('send', { ITINERA_EXTENSIONS: 'no-such.mjs' }, FIXTURE)).resolves.toEqual({ services: [], adapters: [] });
  });
});
