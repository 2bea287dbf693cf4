import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, http, startTestBus } from '@itinera/testing';

/**
 * The HTTP on-ramp's request-response path (a reply in the receive stage, nothing
 * published): what a client gets, what the envelope carries, and that the record of
 * the replied message is kept for GET /messages/{id}.
 */
describe('HTTP on-ramp: a receive-stage reply', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-reply-'));
    cpSync(SAMPLES_DIR, dir, { recursive: true });
    const itinerary = (name: string, reply: Record<string, unknown>) => ({
      name,
      version: '1.0.0',
      description: 'A request-response operation answered before publication.',
      steps: [{ id: 'reply', service: 'reply', stage: 'receive', options: reply }],
    });
    writeFileSync(join(dir, 'fixed-reply.json'), JSON.stringify(itinerary('fixed-reply', { value: { ok: true, status: 'received' } })));
    writeFileSync(join(dir, 'headers-reply.json'), JSON.stringify(itinerary('headers-reply', { expression: 'headers' })));
    bus = await startTestBus({ itinerariesDir: dir });
  });
  afterAll(async () => {
    await bus?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 200 with the reply, the protocol headers and a Location whose record holds the trace and the reply', async () => {
    const res = await http(`${bus.url}/itineraries/fixed-reply/messages`, { body: { n: 1 }, headers: { 'itinera-correlation-id': 'corr-7' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, status: 'received' });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const id = res.headers.get('itinera-message-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('itinera-correlation-id')).toBe('corr-7');
    expect(res.headers.get('location')).toBe(`/messages/${id}`);

    const record = await http(`${bus.url}${res.headers.get('location')}`);
    expect(record.status).toBe(200);
    expect(record.body).toMatchObject({
      messageId: id,
      correlationId: 'corr-7',
      itinerary: 'fixed-reply@1.0.0',
      status: 'completed',
      reply: { body: { ok: true, status: 'received' } },
    });
    expect(record.body.trace.map((t: any) => [t.step, t.service, t.stage, t.outcome])).toEqual([['reply', 'reply', 'receive', 'completed']]);
    expect(typeof record.body.trace[0].durationMs).toBe('number');
  });

  it('without a correlation id of its own, the message id is the correlation id', async () => {
    const res = await http(`${bus.url}/itineraries/fixed-reply/messages`, { body: {} });
    expect(res.status).toBe(200);
    expect(res.headers.get('itinera-correlation-id')).toBe(res.headers.get('itinera-message-id'));
  });

  it('takes application/json with parameters, in any case; refuses other media types with 415', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const res = await http(`${bus.url}/itineraries/fixed-reply/messages`, { raw: '{"n":1}', headers: { 'content-type': type } });
      expect(res.status, type).toBe(200);
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const res = await http(`${bus.url}/itineraries/fixed-reply/messages`, { raw: '{"n":1}', headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
      expect(res.body.code, type).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('the envelope carries the request headers as strings, without credentials and hop-by-hop ones', async () => {
    const res = await http(`${bus.url}/itineraries/headers-reply/messages`, {
      body: {},
      headers: { 'x-tenant': 'acme', 'itinera-action': 'Ping', authorization: 'Bearer secret', cookie: 'a=b', accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ 'x-tenant': 'acme', 'itinera-action': 'Ping', accept: 'application/json', 'content-type': 'application/json' });
    for (const dropped of ['authorization', 'cookie', 'host', 'connection', 'content-length', 'transfer-encoding'])
      expect(res.body, dropped).not.toHaveProperty(dropped);
    for (const value of Object.values(res.body)) expect(typeof value).toBe('string');
  });

  it('bodies are JSON only: a form-encoded body gets 415 on the polling duplex too', async () => {
    const session = await http(`${bus.url}/duplex/sessions`, { method: 'POST', raw: '{}', headers: { 'content-type': 'application/json' } });
    expect(session.status).toBe(201);
    const res = await http(`${bus.url}/duplex/sessions/${session.body.session}/messages`, {
      raw: 'id=1&itinerary=fixed-reply',
      token: session.body.token,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
