import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { browserBundle } from '@itinera/runtime';
import { launchChromium } from '../support/browser';
import { startDuplexServer, type DuplexTestServer } from './support/server';

const PUBLIC = resolve(__dirname, '../../apps/bus/public');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

describe('the client bundle and the demo page in Chromium (fake bus)', () => {
  let srv: DuplexTestServer;
  let browser: Browser;

  beforeAll(async () => {
    const bundle = await browserBundle();
    srv = await startDuplexServer({
      options: { pollTimeoutMs: 1000 },
      setup(app) {
        app.get('/client/itinera.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(bundle));
        app.get('/blank', async (_req, reply) => reply.type('text/html').send('<!doctype html><title>blank</title><script src="/client/itinera.js"></script>'));
        app.get<{ Params: { '*': string } }>('/demo/*', async (req, reply) => {
          const file = join(PUBLIC, req.params['*'] || 'index.html');
          if (!file.startsWith(PUBLIC)) return reply.code(404).send();
          return reply.type(TYPES[extname(file)] ?? 'application/octet-stream').send(await readFile(file));
        });
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  it.each(['websocket', 'long-polling'])('the bundle connects over %s from a page and gets a callback', async (transport) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/blank`);
    const result = await page.evaluate(async (t) => {
      const { ItineraClient } = (window as unknown as { Itinera: typeof import('@itinera/client') }).Itinera;
      const c = new ItineraClient({ transport: t as 'websocket' });
      const got = new Promise((resolve) => c.on('Echo', (body) => resolve(body)));
      await c.connect();
      const accepted = await c.send('echo', 'Hi', { from: 'browser' });
      const body = await got;
      await new Promise((r) => setTimeout(r, 20)); // lastSeq moves once the handler has returned
      const out = { transport: c.transport, accepted: accepted.type, body, seq: c.lastSeq };
      await c.close();
      return out;
    }, transport);
    expect(result).toEqual({ transport, accepted: 'accepted', body: { from: 'browser' }, seq: 1 });
    expect(errors).toEqual([]);
    await page.close();
  });
});
