import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startTestBus } from '@itinera/testing';

describe('scratch: demo on the real bus', () => {
  let srv: any;
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
    page.on('console', (m) => console.log('console', m.text()));
    await page.goto(`${srv.url}/demo/index.html?transport=${transport}&fresh`);
    await page.waitForSelector('#status[data-state="connected"]');
    return page;
  }

  it('the demo page: chat between two pages, the calculator with its fault, and the transport switch', async () => {
    console.log('STEP 1: ' + "const ada = await openDemo('websocket');");
    const ada = await openDemo('websocket');
    console.log('STEP 2: ' + "const bob = await openDemo('long-polling');");
    const bob = await openDemo('long-polling');
    expect(await ada.getAttribute('#status', 'data-transport')).toBe('websocket');
    expect(await bob.getAttribute('#status', 'data-transport')).toBe('long-polling');

    // Sending before registering is a NOT_REGISTERED fault.
    console.log('STEP 3: ' + "await ada.fill('#chat-text', 'too early');");
    await ada.fill('#chat-text', 'too early');
    console.log('STEP 4: ' + "await ada.click('#chat-send');");
    await ada.click('#chat-send');
    console.log('STEP 5: ' + 'await ada.waitForSelector(\'#chat-error:has-text("NOT_REGISTE');
    await ada.waitForSelector('#chat-error:has-text("NOT_REGISTERED")');

    console.log('STEP 6: ' + "await ada.fill('#chat-name', 'Ada');");
    await ada.fill('#chat-name', 'Ada');
    console.log('STEP 7: ' + "await ada.click('#chat-register');");
    await ada.click('#chat-register');
    console.log('STEP 8: ' + 'await ada.waitForSelector(\'#chat-messages li:has-text("Ada h');
    await ada.waitForSelector('#chat-messages li:has-text("Ada has been registered with clientID")');
    expect(await ada.textContent('#chat-client-id')).toMatch(/^[0-9a-f-]{36}$/);
    console.log('STEP 9: ' + "await bob.fill('#chat-name', 'Bob');");
    await bob.fill('#chat-name', 'Bob');
    console.log('STEP 10: ' + "await bob.click('#chat-register');");
    await bob.click('#chat-register');
    console.log('STEP 11: ' + 'await bob.waitForSelector(\'#chat-messages li:has-text("Bob h');
    await bob.waitForSelector('#chat-messages li:has-text("Bob has been registered")');

    console.log('STEP 12: ' + "await ada.fill('#chat-text', 'hello Bob');");
    await ada.fill('#chat-text', 'hello Bob');
    console.log('STEP 13: ' + "await ada.click('#chat-send');");
    await ada.click('#chat-send');
    console.log('STEP 14: ' + 'await ada.waitForSelector(\'#chat-messages li:has-text("Ada: ');
    await ada.waitForSelector('#chat-messages li:has-text("Ada: hello Bob")');
    console.log('STEP 15: ' + 'await bob.waitForSelector(\'#chat-messages li:has-text("Ada: ');
    await bob.waitForSelector('#chat-messages li:has-text("Ada: hello Bob")');

    // Calculator on Ada's page.
    for (const [n, op, shown] of [
      ['100', 'AddTo', '100'],
      ['50', 'SubtractFrom', '50'],
      ['3', 'MultiplyBy', '150'],
      ['2', 'DivideBy', '75'],
    ]) {
    console.log('STEP 16: ' + "await ada.fill('#calc-n', n!);");
      await ada.fill('#calc-n', n!);
    console.log('STEP 17: ' + 'await ada.click(`button[data-op="${op}"]`);');
      await ada.click(`button[data-op="${op}"]`);
    console.log('STEP 18: ' + 'await ada.waitForSelector(`#calc-result:has-text("${shown}")');
      await ada.waitForSelector(`#calc-result:has-text("${shown}")`);
    }
    console.log('STEP 19: ' + "await ada.fill('#calc-n', '0');");
    await ada.fill('#calc-n', '0');
    console.log('STEP 20: ' + 'await ada.click(\'button[data-op="DivideBy"]\');');
    await ada.click('button[data-op="DivideBy"]');
    console.log('STEP 21: ' + 'await ada.waitForSelector(\'#calc-error:has-text("DIVIDE_BY_Z');
    await ada.waitForSelector('#calc-error:has-text("DIVIDE_BY_ZERO")');
    console.log('STEP 22: ' + 'await ada.click(\'button[data-op="Clear"]\');');
    await ada.click('button[data-op="Clear"]');
    console.log('STEP 23: ' + 'await ada.waitForSelector(\'#calc-equation:has-text("0 + 100 ');
    await ada.waitForSelector('#calc-equation:has-text("0 + 100 - 50 * 3 / 2 = 75")');

    // Bob moves to a WebSocket: same session, still in the chat.
    console.log('STEP 24: ' + "const session = await bob.textContent('#session');");
    const session = await bob.textContent('#session');
    console.log('STEP 25: ' + "await bob.check('#transport-websocket');");
    await bob.check('#transport-websocket');
    console.log('STEP 26: ' + 'await bob.waitForSelector(\'#status[data-state="connected"][d');
    await bob.waitForSelector('#status[data-state="connected"][data-transport="websocket"]');
    expect(await bob.textContent('#session')).toBe(session);
    console.log('STEP 27: ' + "await ada.fill('#chat-text', 'still there?');");
    await ada.fill('#chat-text', 'still there?');
    console.log('STEP 28: ' + "await ada.click('#chat-send');");
    await ada.click('#chat-send');
    console.log('STEP 29: ' + 'await bob.waitForSelector(\'#chat-messages li:has-text("Ada: ');
    await bob.waitForSelector('#chat-messages li:has-text("Ada: still there?")');

    console.log('STEP 30: ' + 'await ada.context().close();');
    await ada.context().close();
    console.log('STEP 31: ' + 'await bob.context().close();');
    await bob.context().close();
  });
});
