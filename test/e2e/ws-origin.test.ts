import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBus } from '@itinera/testing';

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
});
