import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildBrowserBundle } from '@itinera/client';
import { launchChromium } from '../support/browser';
import { startDuplexServer, type DuplexTestServer } from './support/server';

const PUBLIC = resolve(__dirname, '../../apps/bus/public');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

describe('the client bundle and the demo page in Chromium (fake bus)', () => {
  let srv: DuplexTestServer;
  let browser: Browser;

  beforeAll(async () => {
    const bundle = await buildBrowserBundle();
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

  async function openDemo(transport: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${srv.url}/demo/index.html?transport=${transport}&fresh`);
    await page.waitForSelector('#chat-status[data-state="connected"]');
    await page.waitForSelector('#calc-status[data-state="connected"]');
    return page;
  }

  it('the demo page: chat between two pages, the calculator with its fault, and the transport switch', async () => {
    const ada = await openDemo('websocket');
    const bob = await openDemo('long-polling');
    expect(await ada.getAttribute('#chat-status', 'data-transport')).toBe('websocket');
    expect(await bob.getAttribute('#chat-status', 'data-transport')).toBe('long-polling');
    expect(await bob.getAttribute('#calc-status', 'data-transport')).toBe('long-polling');

    // Sending before registering is a NOT_REGISTERED fault.
    await ada.fill('#chat-text', 'too early');
    await ada.click('#chat-send');
    await ada.waitForSelector('#chat-error:has-text("NOT_REGISTERED")');

    await ada.fill('#chat-name', 'Ada');
    await ada.click('#chat-register');
    await ada.waitForSelector('#chat-messages li:has-text("Ada has been registered with clientID")');
    expect(await ada.textContent('#chat-client-id')).toMatch(/^[0-9a-f-]{36}$/);
    await bob.fill('#chat-name', 'Bob');
    await bob.click('#chat-register');
    await bob.waitForSelector('#chat-messages li:has-text("Bob has been registered")');

    await ada.fill('#chat-text', 'hello Bob');
    await ada.click('#chat-send');
    await ada.waitForSelector('#chat-messages li:has-text("Ada: hello Bob")');
    await bob.waitForSelector('#chat-messages li:has-text("Ada: hello Bob")');

    // Calculator on Ada's page.
    for (const [n, op, shown] of [
      ['100', 'AddTo', '100'],
      ['50', 'SubtractFrom', '50'],
      ['3', 'MultiplyBy', '150'],
      ['2', 'DivideBy', '75'],
    ]) {
      await ada.fill('#calc-n', n!);
      await ada.click(`button[data-op="${op}"]`);
      await ada.waitForSelector(`#calc-result:has-text("${shown}")`);
    }
    await ada.fill('#calc-n', '0');
    await ada.click('button[data-op="DivideBy"]');
    await ada.waitForSelector('#calc-error:has-text("DIVIDE_BY_ZERO")');
    await ada.click('button[data-op="Clear"]');
    await ada.waitForSelector('#calc-equation:has-text("0 + 100 - 50 * 3 / 2 = 75")');

    // Bob moves to a WebSocket: same session, still in the chat.
    const session = await bob.textContent('#chat-session');
    await bob.check('#transport-websocket');
    await bob.waitForSelector('#chat-status[data-state="connected"][data-transport="websocket"]');
    await bob.waitForSelector('#calc-status[data-state="connected"][data-transport="websocket"]');
    expect(await bob.textContent('#chat-session')).toBe(session);
    await ada.fill('#chat-text', 'still there?');
    await ada.click('#chat-send');
    await bob.waitForSelector('#chat-messages li:has-text("Ada: still there?")');

    await ada.context().close();
    await bob.context().close();
  });
});
