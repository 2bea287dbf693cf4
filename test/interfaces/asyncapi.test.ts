import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from '@asyncapi/parser';
import Ajv, { type ValidateFunction } from 'ajv';
import { CLIENT_FRAME_TYPES, SERVER_FRAME_TYPES } from '@itinera/adapters';
import { RawDuplex, startTestBus } from '@itinera/testing';

const FILE = resolve(__dirname, '../../libs/adapters/src/asyncapi.json');
const doc = JSON.parse(readFileSync(FILE, 'utf8'));

/** The frame type each message of a channel carries (its payload's `type` const). */
function frameTypes(channel: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const ref of Object.values<{ $ref: string }>(doc.channels[channel].messages)) {
    const name = ref.$ref.split('/').pop()!;
    const schemaName = doc.components.messages[name].payload.$ref.split('/').pop();
    const type = doc.components.schemas[schemaName].properties?.type?.const;
    if (type) out.set(type, schemaName);
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(doc, 'asyncapi');
const validators = new Map<string, ValidateFunction>();
function validator(schemaName: string): ValidateFunction {
  let v = validators.get(schemaName);
  if (!v) {
    v = ajv.getSchema(`asyncapi#/components/schemas/${schemaName}`)!;
    validators.set(schemaName, v);
  }
  return v;
}
/** Validate a frame against the schema the document names for its type (`expect` shows ajv's errors). */
function expectValid(schemaName: string, frame: unknown): void {
  const v = validator(schemaName);
  const ok = v(frame);
  expect(ok ? [] : v.errors, `${schemaName}: ${JSON.stringify(frame)}`).toEqual([]);
}

describe('AsyncAPI document of the duplex protocol', () => {
  it('parses with @asyncapi/parser without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(FILE, 'utf8'));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toMatch(/^3\./);
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(expect.arrayContaining(['/duplex', '/duplex/sessions', '/duplex/sessions/{session}/messages', '/duplex/sessions/{session}/poll']));
  });

  it('names every frame type the server accepts and emits', () => {
    const ws = frameTypes('duplex');
    for (const t of [...CLIENT_FRAME_TYPES, ...SERVER_FRAME_TYPES]) expect(ws.has(t), `frame ${t}`).toBe(true);
    expect([...ws.keys()].sort()).toEqual([...CLIENT_FRAME_TYPES, ...SERVER_FRAME_TYPES].sort());
    // Every receive operation takes a client frame, every send operation an outgoing one.
    for (const op of Object.values<any>(doc.operations)) {
      for (const m of op.messages) {
        const type = doc.components.schemas[doc.components.messages[m.$ref.split('/').pop()].payload.$ref.split('/').pop()].properties?.type?.const;
        if (!type || op.channel.$ref !== '#/channels/duplex') continue;
        expect((op.action === 'receive' ? CLIENT_FRAME_TYPES : SERVER_FRAME_TYPES) as readonly string[]).toContain(type);
      }
    }
  });

  it('describes the TCP duplex: its server, the same frames as the WebSocket plus close, and the framing', () => {
    expect(doc.servers.tcp).toMatchObject({ protocol: 'tcp' });
    expect(doc.channels.tcp.servers).toEqual([{ $ref: '#/servers/tcp' }]);
    expect(doc.channels.tcp.description).toMatch(/4-byte unsigned big-endian length/);
    const tcp = frameTypes('tcp');
    expect([...tcp.keys()].sort()).toEqual([...CLIENT_FRAME_TYPES, ...SERVER_FRAME_TYPES, 'close'].sort());
    expectValid('Close', { type: 'close', code: 1009, reason: 'frame too large' });
  });

  it("keeps every message's examples valid against its own schema", () => {
    for (const [name, message] of Object.entries<any>(doc.components.messages)) {
      for (const example of message.examples ?? []) expectValid(message.payload.$ref.split('/').pop(), example.payload ?? name);
    }
  });
});

describe('frames of a live bus validate against the AsyncAPI schemas', () => {
  let node: Awaited<ReturnType<typeof startTestBus>>;
  let closed = false;

  beforeAll(async () => {
    node = await startTestBus();
  });
  afterAll(async () => {
    if (!closed) await node.close();
  });

  it('serves the committed document at /asyncapi.json, with servers pointing at this gateway', async () => {
    const res = await fetch(`${node.url}/asyncapi.json`);
    expect(res.status).toBe(200);
    const served = await res.json();
    const host = new URL(node.url).host;
    expect(served.servers.websocket).toMatchObject({ host, protocol: 'ws' });
    expect({ ...served, servers: doc.servers }).toEqual(doc);
  });

  it('WebSocket: every frame both ways, through a session and a shutdown', async () => {
    const types = frameTypes('duplex');
    const sent: any[] = [];
    const hello = { type: 'hello' };
    sent.push(hello);
    const c = await RawDuplex.open(node.url, hello);
    const frames: Array<[string, unknown]> = [
      ['send', { type: 'send', id: 'a1', itinerary: 'calculator', action: 'AddTo', body: { n: 5 } }],
      ['send', { type: 'send', id: 'a2', itinerary: 'calculator', action: 'DivideBy', body: { n: 0 } }],
      ['send', { type: 'send', id: 'a3', itinerary: 'nope', action: 'AddTo', body: {} }],
    ];
    for (const [, f] of frames) {
      sent.push(f);
      c.send(f);
    }
    await c.next((f) => f.type === 'callback');
    const fault = await c.next((f) => f.type === 'fault');
    await c.next((f) => f.type === 'error' && f.id === 'a3');
    const ack = { type: 'ack', seq: fault.seq };
    const ping = { type: 'ping' };
    sent.push(ack, ping);
    c.send(ack);
    c.send(ping);
    await c.next((f) => f.type === 'pong');
    c.send('{"type":"nonsense"}');
    await c.next((f) => f.type === 'error' && f.error.code === 'UNKNOWN_FRAME_TYPE');

    // A second session ends with bye; the first sees `closing` when the node shuts down.
    const other = await RawDuplex.open(node.url);
    const bye = { type: 'bye' };
    sent.push(bye);
    other.send(bye);
    await other.close();
    const closing = c.next((f) => f.type === 'closing');
    closed = true;
    await node.close();
    await closing;

    const seen = new Set<string>();
    for (const f of [...c.frames, ...other.frames]) {
      const { __taken, ...frame } = f;
      void __taken;
      expect(types.has(frame.type), `emitted frame type ${frame.type}`).toBe(true);
      expectValid(types.get(frame.type)!, frame);
      seen.add(frame.type);
    }
    expect([...seen].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    for (const f of sent) expectValid(types.get(f.type)!, f);
  });
});

describe('long polling answers validate against the AsyncAPI schemas', () => {
  let node: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    node = await startTestBus({ pollTimeoutMs: 500 });
  });
  afterAll(() => node.close());

  it('session, message, poll and a refused request', async () => {
    const created = await (await fetch(`${node.url}/duplex/sessions`, { method: 'POST' })).json();
    expectValid('SessionCreated', created);
    const auth = { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' };
    const message = { id: 'p1', itinerary: 'calculator', action: 'AddTo', body: { n: 2 } };
    expectValid('PollMessage', message);
    const res = await fetch(`${node.url}/duplex/sessions/${created.session}/messages`, { method: 'POST', headers: auth, body: JSON.stringify(message) });
    expect(res.status).toBe(202);
    expectValid('PollAccepted', await res.json());
    let items: any[] = [];
    for (let i = 0; i < 20 && items.length === 0; i++) {
      const poll = await (await fetch(`${node.url}/duplex/sessions/${created.session}/poll?after=0`, { headers: auth })).json();
      expectValid('PollResult', poll);
      items = poll.items;
    }
    expect(items[0]).toMatchObject({ type: 'callback', seq: 1, action: 'Result' });
    const refused = await fetch(`${node.url}/duplex/sessions/${created.session}/messages`, { method: 'POST', headers: auth, body: '{"id":"p2"}' });
    expect(refused.status).toBe(400);
    expectValid('Problem', await refused.json());
  });
});
