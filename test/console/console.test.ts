import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { http, launchChromium, startTestBus, waitFor } from '@itinera/testing';
import { ADMIN_TOKEN, SEEDED_CODE, SEEDED_FAULTS, itinerariesWithPayments, overLimit, placeOrder, seedStores, type TestBus } from './console-fixtures';

// README's screenshots come from this run: `ITINERA_SCREENSHOTS=docs npm test` writes
// them into docs/console; an ordinary run writes them beside the other temp files, so a
// test run leaves the working tree as it was.
const SHOTS =
  process.env.ITINERA_SCREENSHOTS === 'docs' ? join(__dirname, '..', '..', 'docs', 'console') : join(tmpdir(), 'itinera-console-screenshots');
const PAGE_SIZE = 100;

let bus: TestBus;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const open = async (hash: string) => {
  await page.goto(`${bus.url}/console/${hash}`);
};

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [bus, browser] = await Promise.all([
    startTestBus({ adminToken: ADMIN_TOKEN, memoryRecords: 20_000, itinerariesDir: itinerariesWithPayments() }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(8000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('dialog', (d) => void d.accept());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bus?.close();
});

describe('the console in Chromium', () => {
  it('serves a shell without data and asks for the operator credential, then draws the graph', async () => {
    const shell = await fetch(`${bus.url}/console/`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await shell.text()).toContain('<script src="console.js"></script>');
    const redirect = await fetch(`${bus.url}/console`, { redirect: 'manual' });
    expect(redirect.headers.get('location')).toBe('/console/');

    await open('#/itineraries/orders');
    // The graph needs an operator: the bus answers 401, the page asks to sign in.
    await page.locator('form.sign-in').waitFor();
    // A wrong credential: the bus refuses it and the form comes back saying so.
    await page.fill('input.credential', 'not-the-token');
    await page.click('form.sign-in button[type=submit]');
    await page.locator('form.sign-in', { hasText: 'refused that credential' }).waitFor();
    await page.fill('input.credential', ADMIN_TOKEN);
    await page.click('form.sign-in button[type=submit]');
    const steps = page.locator('svg.graph[data-itinerary="orders"] g.node-step');
    await steps.first().waitFor();
    expect(await steps.count()).toBe(7);
    expect(await page.locator('svg.graph g.stage').count()).toBe(2);
    expect(await page.locator('svg.graph g.node[data-node="decide"]').textContent()).toContain('rules order-decision@1.0.0');
    expect(await page.locator('svg.graph g.node[data-node="to-canonical"]').textContent()).toContain('map order-to-canonical@1.0.0');
    expect(await page.locator('svg.graph g.node[data-node="itinerary:order-fulfilment"]').count()).toBe(1);
    await shot('itineraries');
  });

  it("lays a message's trace over its itinerary's graph", async () => {
    const id = await placeOrder(bus);
    await open(`#/messages/${id}`);
    await page.locator('section.message[data-status="completed"] svg.graph').waitFor();
    for (const step of ['validate', 'to-canonical', 'reply', 'order-number', 'decide', 'route', 'deliver']) {
      const cls = await page.getAttribute(`svg.graph g.node[data-node="${step}"]`, 'class');
      expect(cls, step).toContain('trace-completed');
      expect(cls, step).toContain('on-path');
    }
    expect(await page.getAttribute('svg.graph g.node[data-node=":end"]', 'class')).toContain('on-path');
    expect(await page.locator('svg.graph g.edge.on-path').count()).toBeGreaterThanOrEqual(8);
    // Every rule decide's policy evaluated, whether it fired and the facts it read.
    await page.click('svg.graph g.node[data-node="decide"]');
    expect(await page.locator('.trace-entry[data-step="decide"] .resolver').textContent()).toContain('order-decision@1.0.0');
    const rule = page.locator('.trace-entry[data-step="decide"] table.rules tr', { hasText: 'not-in-store' });
    expect(await rule.locator('td').nth(1).textContent()).toBe('no');
    expect(await rule.locator('td').nth(2).textContent()).toContain('2'); // the quantity it compared with 10
    await shot('trace');
  });

  it('repairs a fault in the schema-checked editor and resubmits it until the message completes', async () => {
    const { messageId, faultId } = await overLimit(bus);
    await open('#/faults');
    await page.locator(`table.faults-table tr[data-id="${faultId}"] a`).click();
    await page.locator('section.fault textarea.body-editor').waitFor();
    // The action's JSON Schema says amount is a number: the editor says so, and resubmitting waits.
    await page.fill('textarea.body-editor', '{ "amount": "lots", "currency": "EUR" }');
    await page.locator('.body-problems.schema-errors').waitFor();
    expect(await page.locator('.body-problems.schema-errors').textContent()).toMatch(/\/amount.*must be number/);
    expect(await page.isDisabled('button.resubmit')).toBe(true);
    await shot('fault-editor');
    await page.fill('textarea.body-editor', '{ "amount": 500, "currency": "EUR" }');
    await page.locator('.body-problems.ok').waitFor();
    expect(await page.inputValue('select.from-step')).toBe('over-limit');
    await page.click('button.resubmit');
    await page.locator('section.message[data-status="completed"] svg.graph').waitFor();
    expect(page.url()).toContain(`#/messages/${messageId}`);
    expect(await page.getAttribute('svg.graph g.node[data-node="over-limit"]', 'class')).toContain('trace-skipped');
    expect(await page.getAttribute('svg.graph g.node[data-node="deliver"]', 'class')).toContain('trace-completed');
    // Why over-limit did not run again: its when condition was false for the repaired body.
    expect(await page.locator('.trace-entry[data-step="over-limit"] .reason').last().textContent()).toMatch(/skipped: \S+/);
    // The transform's body, before and after, as a diff.
    await page.click('svg.graph g.node[data-node="to-ledger"]');
    await page.locator('.trace-entry[data-step="to-ledger"] pre.diff .added').first().waitFor();
    expect(await page.locator('.trace-entry[data-step="to-ledger"] pre.diff').textContent()).toContain('"kind": "payment"');
    await shot('repaired');
    expect((await bus.bus.messages.get(messageId))?.status).toBe('completed');
  });

  it('deletes faults in bulk and the audit trail names the operator', async () => {
    const made = await Promise.all([overLimit(bus, 2000), overLimit(bus, 3000)]);
    await open('#/faults?code=OVER_LIMIT');
    for (const m of made) await page.check(`table.faults-table tr[data-id="${m.faultId}"] input.check`);
    await page.click('button.bulk-delete');
    await page.locator('.outcome-note').waitFor();
    expect(await page.locator('.outcome-note').textContent()).toContain('delete: 2 done');
    for (const m of made) expect(await page.locator(`table.faults-table tr[data-id="${m.faultId}"]`).count()).toBe(0);

    await open('#/audit');
    const rows = page.locator('table.audit-table tbody tr');
    await rows.first().waitFor();
    // Who did it: the admin token's operator, on the bulk delete and on the repair before it.
    const bulk = page.locator('table.audit-table tr[data-action="fault.bulk-delete"]');
    expect(await bulk.count()).toBe(1);
    expect(await bulk.locator('td.operator').textContent()).toMatch(/admin/);
    expect(await bulk.textContent()).toContain(made[0].faultId);
    const repair = page.locator('table.audit-table tr[data-action$="resubmit"]').first();
    expect(await repair.locator('td.operator').textContent()).toMatch(/admin/);
    await shot('audit');
  });

  it('shows a business activity aggregate', async () => {
    await placeOrder(bus, 3);
    await open('#/activities?itinerary=orders&bucket=1h&groupBy=customer');
    await page.locator('.bam-total').waitFor();
    expect(Number(await page.locator('.bam-total').textContent())).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.card.milestone[data-milestone="ordered"] .figure').textContent()).not.toBe('0');
    expect(await page.locator('table.bam-groups').textContent()).toContain('42');
    await shot('activity');
  });

  it('updates the live view by itself', async () => {
    await open('#/live');
    await page.locator('section.live[data-updates="1"]').waitFor();
    await placeOrder(bus);
    // No click: the view polls and redraws.
    await page.locator('section.live[data-updates="2"]').waitFor({ timeout: 10_000 });
    await page.locator('table.live-table tr.itinerary-row[data-itinerary^="orders"]').first().waitFor();
    expect(Number(await page.locator('.sessions-open').textContent())).toBeGreaterThanOrEqual(0);
    await shot('live');
  });

  it('keeps 10,000 messages and 1,000 faults to one server page of rows, and pages through them', async () => {
    const template = await (async () => {
      const { faultId } = await overLimit(bus);
      return (await bus.bus.faults.get(faultId))!;
    })();
    await seedStores(bus, template);

    await open('#/messages?itinerary=orders');
    const rows = page.locator('table.messages-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(PAGE_SIZE);
    // The whole page stays small: one page of rows, whatever the store holds.
    expect(await page.evaluate(() => document.getElementsByTagName('*').length)).toBeLessThan(1500);
    const first = await rows.first().getAttribute('data-id');
    await page.click('.pager button.next');
    await page.locator('.pager .page', { hasText: 'page 2' }).waitFor();
    await waitFor(async () => (await rows.first().getAttribute('data-id')) !== first, 'the second page');
    expect(await rows.count()).toBe(PAGE_SIZE);
    await page.click('.pager button.prev');
    await page.locator('.pager .page', { hasText: 'page 1' }).waitFor();
    await waitFor(async () => (await rows.first().getAttribute('data-id')) === first, 'the first page again');

    // The search form: one correlation id (20 of the seeded messages carry each).
    await page.fill('form.filters input[name="correlationId"]', 'seed-c-7');
    await page.click('form.filters button[type="submit"]');
    await page.locator('.pager .page', { hasText: '20 rows' }).waitFor();
    expect(await page.locator('table.messages-table tbody tr td:nth-child(2)').allTextContents()).toEqual(Array(20).fill('seed-c-7'));

    await open(`#/faults?by=code&code=${SEEDED_CODE}`);
    const faults = page.locator('table.faults-table tbody tr');
    await faults.first().waitFor();
    expect(await faults.count()).toBe(PAGE_SIZE);
    expect(await page.locator(`aside.groups li.group[data-key="${SEEDED_CODE}"] .count`).textContent()).toBe(String(SEEDED_FAULTS));
    await shot('faults');
    await page.click('.pager button.next');
    await page.locator('.pager .page', { hasText: 'page 2' }).waitFor();
    expect(await faults.count()).toBe(PAGE_SIZE);
    // The operator endpoints behind the page: 401 without the credential.
    expect((await http(`${bus.url}/faults`)).status).toBe(401);
    expect(pageErrors).toEqual([]);
  });
});
