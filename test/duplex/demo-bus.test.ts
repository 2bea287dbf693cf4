import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startTestBus } from '@itinera/testing';

describe('the demo page on the real bus (samples, embedded transport)', () => {
  let srv: Awaited<ReturnType<typeof startTestBus>>;
  let browser: Browser;
  beforeAll(async () => {
    srv = await startTestBus();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
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
