import { expect } from 'vitest';
import type { FaultRecord, MessageRecord } from '@itinera/core';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLES_DIR, http, waitFor, type startTestBus } from '@itinera/testing';

export type TestBus = Awaited<ReturnType<typeof startTestBus>>;
export const ADMIN_TOKEN = 'console-admin-token';
export const SEEDED_MESSAGES = 10_000;
export const SEEDED_FAULTS = 1_000;
export const SEEDED_CODE = 'SEEDED_FAULT';

const asAdmin = { token: ADMIN_TOKEN };

/** The samples plus the console's payments itinerary, in a folder of their own. */
export function itinerariesWithPayments(): string {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-console-'));
  cpSync(SAMPLES_DIR, dir, { recursive: true });
  cpSync(join(__dirname, '..', 'fixtures', 'console'), dir, { recursive: true });
  return dir;
}

/** A payment over the limit: accepted, then an OVER_LIMIT fault at step over-limit, after publication. */
export async function overLimit(bus: TestBus, amount = 5000): Promise<{ messageId: string; faultId: string }> {
  const res = await http(`${bus.url}/itineraries/payments/messages`, { body: { amount, currency: 'EUR' }, headers: { 'itinera-action': 'Pay' } });
  expect(res.status).toBe(202);
  const messageId = res.body.messageId as string;
  const fault = await waitFor(async () => {
    const r = await http(`${bus.url}/faults?limit=1000`, asAdmin);
    return ((r.body.items ?? r.body.faults ?? []) as { id: string; messageId: string }[]).find((f) => f.messageId === messageId);
  }, `the fault of ${messageId}`);
  return { messageId, faultId: fault.id };
}

/** An order through HTTP: answered at once, its send stage (rules, route, delivery) run by the worker. */
export async function placeOrder(bus: TestBus, amount = 2): Promise<string> {
  const res = await http(`${bus.url}/itineraries/orders/messages`, {
    body: { productId: 7, amount, customerId: 42 },
    headers: { 'itinera-action': 'CreateOrder' },
  });
  expect(res.status).toBe(200);
  const id = res.headers.get('itinera-message-id')!;
  await waitFor(async () => (await bus.bus.messages.get(id))?.status === 'completed', `order ${id} to complete`);
  return id;
}

/** Records straight into the stores: 10,000 messages and 1,000 faults, for the paging checks. */
export async function seedStores(bus: TestBus, template: FaultRecord): Promise<void> {
  const base = Date.now() - 3600_000;
  const batch = 500;
  for (let i = 0; i < SEEDED_MESSAGES; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, SEEDED_MESSAGES - i) }, (_, j) => {
        const n = i + j;
        const at = new Date(base + n * 10).toISOString();
        const record: MessageRecord = {
          messageId: `seed-m-${String(n).padStart(5, '0')}`,
          correlationId: `seed-c-${n % 500}`,
          itinerary: 'orders@1.0.0',
          status: n % 10 === 0 ? 'faulted' : 'completed',
          acceptedAt: at,
          updatedAt: at,
          trace: [],
        };
        return bus.bus.messages.put(record);
      }),
    );
  }
  for (let i = 0; i < SEEDED_FAULTS; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, SEEDED_FAULTS - i) }, (_, j) => {
        const n = i + j;
        return bus.bus.faults.add({
          ...template,
          id: `seed-f-${String(n).padStart(4, '0')}`,
          messageId: `seed-fm-${n}`,
          step: n % 2 ? 'over-limit' : 'deliver',
          error: { code: SEEDED_CODE, message: `seeded fault ${n}` },
          at: new Date(base + n * 10).toISOString(),
        });
      }),
    );
  }
}
