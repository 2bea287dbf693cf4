import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestBus } from '@itinera/testing';

function open(url: string, origin?: string): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/duplex', 'itinera.v1', origin ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.once('error', () => resolve({ opened: false }));
  });
}

describe('duplex WebSocket origin allow-list (ITINERA_ALLOWED_ORIGINS)', () => {
  let bus: Awaited<ReturnType<typeof startTestBus>>;
  beforeAll(async () => {
    bus = await startTestBus({ allowedOrigins: ['https://app.example.com'] });
  });
  afterAll(async () => bus?.close());

  it('lets an allowed origin and non-browser clients (no Origin) in', async () => {
    expect(await open(bus.url, 'https://app.example.com')).toEqual({ opened: true });
    expect(await open(bus.url)).toEqual({ opened: true });
  });

  it('refuses another origin with 403 before the upgrade', async () => {
    expect(await open(bus.url, 'https://evil.example.net')).toEqual({ opened: false, status: 403 });
  });

  it('long polling follows the same rule on every /duplex/sessions request (403 FORBIDDEN, the origin checked first)', async () => {
    const evil = { origin: 'https://evil.example.net' };
    const refused = await http(`${bus.url}/duplex/sessions`, { method: 'POST', headers: evil });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('ITINERA_ALLOWED_ORIGINS') });
    // No Origin (not a page): allowed, as on the WebSocket.
    const created = await http(`${bus.url}/duplex/sessions`, { method: 'POST' });
    expect(created.status).toBe(201);
    const { session, token } = created.body as { session: string; token: string };
    const poll = await http(`${bus.url}/duplex/sessions/${session}/poll?after=0`, { token, headers: evil });
    expect(poll.status).toBe(403);
    expect(poll.body.code).toBe('FORBIDDEN');
    const sent = await http(`${bus.url}/duplex/sessions/${session}/messages`, {
      token,
      headers: { origin: 'https://app.example.com' },
      body: { id: 'm1', itinerary: 'calculator', action: 'AddTo', body: { n: 1 } },
    });
    expect(sent.status).toBe(202);
    expect((await http(`${bus.url}/duplex/sessions/${session}`, { method: 'DELETE', token })).status).toBe(204);
  });
});
