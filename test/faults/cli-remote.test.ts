import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawDuplex, startTestBus, waitFor } from '@itinera/testing';
import { runCli, type CliIO } from '../../apps/cli/src/cli';

type TestBus = Awaited<ReturnType<typeof startTestBus>>;

const ORDER = '{"productId": 7, "amount": 2, "customerId": 42}';

async function cli(argv: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) };
  const code = await runCli(argv, { services: [], adapters: [], io, env });
  return { code, out, err, text: out.join('\n'), all: [...out, ...err].join('\n') };
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('itinera send and trace', () => {
  let bus: TestBus;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    bus = await startTestBus();
    env = { ITINERA_URL: bus.url };
    dir = await mkdtemp(join(tmpdir(), 'itinera-cli-'));
  });
  afterAll(async () => {
    await bus?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends a message, prints the reply, and traces it as a table', async () => {
    const sent = await cli(['send', 'orders', 'CreateOrder', ORDER], env);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.text)).toBe(true);
    const id = /message ([0-9a-f-]{36})/.exec(sent.err.join('\n'))?.[1];
    expect(id).toBeDefined();

    await waitFor(async () => (await cli(['trace', id!, '--json'], env)).text.includes('"status": "completed"'), 'the order to complete');
    const t = await cli(['trace', id!], env);
    expect(t.code).toBe(0);
    expect(t.out[0]).toBe(`message      ${id}`);
    expect(t.text).toMatch(/itinerary\s+orders@1\.0\.0\s+action CreateOrder/);
    expect(t.text).toMatch(/status\s+completed/);
    const header = t.out.find((l) => l.startsWith('STEP'));
    expect(header).toMatch(/^STEP\s+STAGE\s+SERVICE\s+OUTCOME\s+MS\s+DECISION\s+NOTE$/);
    expect(t.text).toMatch(/^validate\s+receive\s+validate\s+completed\s+[\d.]+\s+-/m);
    expect(t.text).toMatch(/^decide\s+send\s+callback\s+\S+.*rules order-decision@1\.0\.0/m);
  });

  it('reads the body from @file and pins --version', async () => {
    const file = join(dir, 'order.json');
    await writeFile(file, ORDER);
    expect((await cli(['send', 'orders', 'CreateOrder', `@${file}`, '--version', '1.0.0'], env)).code).toBe(0);
    const missing = await cli(['send', 'orders', 'CreateOrder', `@${file}`, '--version', '9.9.9'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toHaveLength(1);
    expect(missing.err[0]).toMatch(/^itinera send: ITINERARY_NOT_FOUND: /);
  });

  it('fails with one line naming the code: bad action, bad JSON, unknown message, unreachable bus', async () => {
    const cases: [string[], RegExp][] = [
      [['send', 'orders', 'Nope', '{}'], /^itinera send: UNKNOWN_ACTION: orders@1\.0\.0 has no action "Nope"/],
      [['send', 'orders', 'CreateOrder', '{"amount": -1}'], /^itinera send: VALIDATION_FAILED: /],
      [['send', 'orders', 'CreateOrder', '{bad'], /^itinera send: INVALID_JSON: the message body is not JSON/],
      [['send', 'orders', 'CreateOrder', '@/no/such/file.json'], /^itinera send: FILE_NOT_FOUND: /],
      [['trace', 'no-such-message'], /^itinera trace: MESSAGE_NOT_FOUND: no message no-such-message/],
      [['trace', 'x', '--url', 'http://127.0.0.1:1'], /^itinera trace: BUS_UNREACHABLE: cannot reach the bus at http:\/\/127\.0\.0\.1:1/],
      [['trace', 'x', '--url', 'not a url'], /^itinera trace: BAD_URL: /],
    ];
    for (const [argv, expected] of cases) {
      const r = await cli(argv, env);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err, argv.join(' ')).toHaveLength(1);
      expect(r.err[0]).toMatch(expected);
      noStack(r.all);
    }
  });

  it('exits 2 with the usage on wrong arguments', async () => {
    for (const argv of [
      ['send', 'orders'],
      ['send', 'orders', 'A', '{}', 'extra'],
      ['send', 'orders', 'A', '--wait', 'soon'],
      ['trace'],
      ['faults', 'show'],
      ['faults', 'frobnicate', 'x'],
    ]) {
      const r = await cli(argv, env);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(/Usage/);
    }
  });
});

describe('itinera faults', () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await startTestBus({ env: { ITINERA_ADMIN_TOKEN: 'op-secret' } });
  });
  afterAll(async () => bus?.close());

  it('lists, shows, repairs and resubmits, and deletes faults; the session gets its Result', async () => {
    const env = { ITINERA_URL: bus.url, ITINERA_ADMIN_TOKEN: 'op-secret' };
    const c = await RawDuplex.open(bus.url);
    await c.call('a', 'calculator', 'AddTo', { n: 100 });
    const accepted = await c.call('b', 'calculator', 'DivideBy', { n: 0 });
    await waitFor(() => c.callbacks().length >= 2, 'the fault frame');

    const listed = await waitFor(async () => {
      const r = await cli(['faults'], env);
      return r.text.includes(accepted.messageId) ? r : undefined;
    }, 'the fault in the list');
    expect(listed.out[0]).toMatch(/^ID\s+AT\s+ITINERARY\s+STEP\s+CODE\s+ATTEMPTS\s+MESSAGE\s+ERROR$/);
    const row = listed.out.find((l) => l.includes(accepted.messageId))!;
    expect(row).toMatch(/calculator@1\.0\.0\s+divide-by-zero\s+DIVIDE_BY_ZERO\s+1\s+/);
    const faultId = row.split(/\s+/)[0];

    const shown = await cli(['faults', 'show', faultId], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.text)).toMatchObject({ id: faultId, envelope: { id: accepted.messageId, body: { n: 0 } } });

    const r = await cli(['faults', 'resubmit', faultId, '--body', '{"n": 4}'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.text)).toEqual({
      messageId: accepted.messageId,
      correlationId: accepted.correlationId,
      itinerary: 'calculator@1.0.0',
      status: 'accepted',
    });
    expect(await c.next((f) => f.type === 'callback' && f.seq === 3)).toMatchObject({ action: 'Result', body: { result: 25 } });

    await waitFor(async () => (await cli(['trace', accepted.messageId, '--json'], env)).text.includes('"status": "completed"'), 'completion');
    const trace = await cli(['trace', accepted.messageId], env);
    expect(trace.text).toMatch(/^resubmit\s+send\s+faults\s+completed\s+0\s+-\s+fault .* resubmitted from step divide-by-zero; body replaced/m);

    const gone = await cli(['faults', 'show', faultId], env);
    expect(gone.code).toBe(1);
    expect(gone.err).toEqual([expect.stringMatching(/^itinera faults: FAULT_NOT_FOUND: no fault /)]);

    // Another fault, deleted.
    const again = await c.call('c', 'calculator', 'DivideBy', { n: 0 });
    const id2 = await waitFor(
      async () => (await cli(['faults', '--json'], env)).text.match(new RegExp(`"id": "([^"]+)",\\s*"messageId": "${again.messageId}"`))?.[1],
      'the second fault',
    );
    const del = await cli(['faults', 'delete', id2], env);
    expect(del).toMatchObject({ code: 0, out: [`deleted fault ${id2}`] });
    expect((await cli(['faults', 'delete', id2], env)).code).toBe(1);
    await c.close();
  });

  it('sends the admin token from --token or ITINERA_ADMIN_TOKEN, and says UNAUTHORIZED without it', async () => {
    const denied = await cli(['faults', 'list'], { ITINERA_URL: bus.url });
    expect(denied.code).toBe(1);
    expect(denied.err).toEqual([expect.stringMatching(/^itinera faults: UNAUTHORIZED: .*ITINERA_ADMIN_TOKEN/)]);
    expect((await cli(['faults', 'list', '--token', 'op-secret'], { ITINERA_URL: bus.url })).code).toBe(0);
    expect((await cli(['faults', '--url', bus.url], { ITINERA_ADMIN_TOKEN: 'op-secret' })).code).toBe(0);
    const resubmit = await cli(['faults', 'resubmit', 'nope', '--token', 'op-secret', '--url', bus.url, '--body', '{oops'], {});
    expect(resubmit.err).toEqual([expect.stringMatching(/^itinera faults: INVALID_JSON: --body is not JSON/)]);
  });

  it('the installed command exits 1 with one line and no stack trace when the bus is down', async () => {
    const bin = resolve(__dirname, '../../apps/cli/bin/itinera.js');
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [bin, 'faults', '--url', 'http://127.0.0.1:1'], { env: { ...process.env, ITINERA_URL: '' } }, (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^itinera faults: BUS_UNREACHABLE: /)]);
  });
});
