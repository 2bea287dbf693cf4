import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditStore, FaultStore, MessageRecord, MessageStore } from '@itinera/core';
import { sampleFault, sampleRecord } from './stores.conformance';

/** Search, fault filters and groups, and the audit trail: memory and Redis run the same tests. */
export interface SearchStoresUnderTest {
  messages: MessageStore;
  faults: FaultStore;
  audit: AuditStore;
  cleanup(): Promise<void>;
}

let n = 0;
const uid = (what: string) => `${what}${process.pid}x${Date.now().toString(36)}x${++n}`;
const iso = (ms: number) => new Date(ms).toISOString();

/** `count` records of a fresh itinerary, accepted one ms apart (the last the newest). */
async function seed(messages: MessageStore, count: number, shape: (i: number, r: MessageRecord) => void = () => undefined) {
  const itinerary = uid('it');
  const t0 = Date.now() - count - 1000;
  const records: MessageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = { ...sampleRecord(`${itinerary}-m${i}`), itinerary: `${itinerary}@1.0.0`, acceptedAt: iso(t0 + i), updatedAt: iso(t0 + i) };
    shape(i, r);
    records.push(r);
  }
  for (let i = 0; i < records.length; i += 500) await Promise.all(records.slice(i, i + 500).map((r) => messages.put(r)));
  return { itinerary, records, t0 };
}

export function describeSearchStores(name: string, factory: () => Promise<SearchStoresUnderTest>): void {
  describe(`search stores: ${name}`, () => {
    let s: SearchStoresUnderTest;
    beforeEach(async () => {
      s = await factory();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('finds messages by itinerary, status, correlation, id and time, newest first', async () => {
      const { itinerary, records, t0 } = await seed(s.messages, 6, (i, r) => {
        if (i % 2) r.correlationId = `${r.messageId.split('-')[0]}-odd`;
      });
      const ids = (p: { items: { id: string }[] }) => p.items.map((m) => m.id);
      const all = await s.messages.search!({ itinerary, limit: 10 });
      expect(ids(all)).toEqual(records.map((r) => r.messageId).reverse());
      expect(all.nextCursor).toBeUndefined();
      expect(all.items[0]).toEqual({
        id: records[5]!.messageId,
        correlationId: records[5]!.correlationId,
        itinerary,
        version: '1.0.0',
        status: 'accepted',
        acceptedAt: records[5]!.acceptedAt,
        updatedAt: records[5]!.updatedAt,
      });
      expect(ids(await s.messages.search!({ itinerary: `${itinerary}@1.0.0`, limit: 10 }))).toHaveLength(6);
      expect(ids(await s.messages.search!({ itinerary: `${itinerary}@2.0.0`, limit: 10 }))).toEqual([]);
      await s.messages.update(records[1]!.messageId, { status: 'faulted' });
      await s.messages.update(records[4]!.messageId, { status: 'completed' });
      expect(ids(await s.messages.search!({ itinerary, status: 'faulted', limit: 10 }))).toEqual([records[1]!.messageId]);
      expect(ids(await s.messages.search!({ status: 'completed', itinerary, limit: 10 }))).toEqual([records[4]!.messageId]);
      expect(ids(await s.messages.search!({ correlationId: records[1]!.correlationId, limit: 10 }))).toEqual([5, 3, 1].map((i) => records[i]!.messageId));
      expect(ids(await s.messages.search!({ id: records[2]!.messageId, limit: 10 }))).toEqual([records[2]!.messageId]);
      expect(ids(await s.messages.search!({ id: records[2]!.messageId, status: 'faulted', limit: 10 }))).toEqual([]);
      expect(ids(await s.messages.search!({ itinerary, since: t0 + 2, until: t0 + 4, limit: 10 }))).toEqual([records[3]!.messageId, records[2]!.messageId]);
      const faulted = (await s.messages.search!({ itinerary, status: 'faulted', limit: 1 })).items[0]!;
      expect(Date.parse(faulted.updatedAt)).toBeGreaterThanOrEqual(Date.parse(records[1]!.updatedAt));
    });

    it('finds a correlation with the message that opened it (its id is the correlation id)', async () => {
      const { records } = await seed(s.messages, 4, (i, r) => {
        if (i < 3) r.correlationId = r.messageId.replace(/m\d+$/, 'm0');
      });
      const opener = records[0]!;
      expect(opener.correlationId).toBe(opener.messageId);
      const found = await s.messages.search!({ correlationId: opener.messageId, limit: 10 });
      expect(found.items.map((m) => m.id)).toEqual([2, 1, 0].map((i) => records[i]!.messageId));
      await s.messages.update(opener.messageId, { status: 'faulted' });
      const first = await s.messages.search!({ correlationId: opener.messageId, limit: 2 });
      expect(first.items.map((m) => m.id)).toEqual([2, 1].map((i) => records[i]!.messageId));
      const second = await s.messages.search!({ correlationId: opener.messageId, limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((m) => m.id)).toEqual([opener.messageId]);
      expect(second.nextCursor).toBeUndefined();
      const faulted = await s.messages.search!({ correlationId: opener.messageId, status: 'faulted', limit: 10 });
      expect(faulted.items.map((m) => m.id)).toEqual([opener.messageId]);
    });

    it('pages through 10 000 records with cursors, each exactly once', async () => {
      const { itinerary, records } = await seed(s.messages, 10_000);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.messages.search!({ itinerary, limit: 500, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      expect(pages).toBe(20);
      expect(seen).toEqual(records.map((r) => r.messageId).reverse());
    }, 60_000);

    it('refuses a cursor it did not hand out', async () => {
      await expect(s.messages.search!({ limit: 5, cursor: 'not a cursor' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
      await expect(s.faults.query!({ limit: 5, cursor: '??' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
      await expect(s.audit.list({ limit: 5, cursor: 'x' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });

    it('filters faults by itinerary, step and code, pages them, and groups them', async () => {
      const itinerary = uid('fit');
      const t0 = Date.now() - 10_000;
      const faults = Array.from({ length: 30 }, (_, i) => {
        const f = { ...sampleFault(uid('f'), iso(t0 + i * 10)), itinerary: `${itinerary}@1.0.${i % 2}` };
        f.step = i % 3 === 0 ? 'charge' : 'ship';
        f.error = { code: i % 5 === 0 ? 'TIMEOUT' : 'SEND_FAILED', message: 'x' };
        return f;
      });
      for (const f of faults) await s.faults.add(f);
      const newest = [...faults].reverse();
      const page1 = await s.faults.query!({ itinerary, limit: 12 });
      expect(page1.items.map((f) => f.id)).toEqual(newest.slice(0, 12).map((f) => f.id));
      const page2 = await s.faults.query!({ itinerary, limit: 12, cursor: page1.nextCursor });
      const page3 = await s.faults.query!({ itinerary, limit: 12, cursor: page2.nextCursor });
      expect([...page2.items, ...page3.items].map((f) => f.id)).toEqual(newest.slice(12).map((f) => f.id));
      expect(page3.nextCursor).toBeUndefined();
      const charge = await s.faults.query!({ itinerary, step: 'charge', code: 'TIMEOUT', limit: 50 });
      expect(charge.items.map((f) => f.id)).toEqual(newest.filter((f) => f.step === 'charge' && f.error.code === 'TIMEOUT').map((f) => f.id));
      expect((await s.faults.query!({ itinerary: `${itinerary}@1.0.1`, limit: 50 })).items).toHaveLength(15);
      const byItinerary = await s.faults.groups!('itinerary');
      expect(byItinerary).toContainEqual({ key: itinerary, count: 30 });
      // Groups of the other cases are counted over every fault: only this test's itinerary is told apart.
      const bySteps = await s.faults.groups!('step');
      expect(bySteps.find((g) => g.key === 'charge')!.count).toBeGreaterThanOrEqual(10);
      await s.faults.remove(faults[0]!.id);
      expect((await s.faults.groups!('itinerary')).find((g) => g.key === itinerary)).toEqual({ key: itinerary, count: 29 });
    });

    it('stays quick with 1 000 faults', async () => {
      const itinerary = uid('many');
      const t0 = Date.now() - 5000;
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => s.faults.add({ ...sampleFault(uid('f'), iso(t0 + i)), itinerary: `${itinerary}@1.0.0`, step: `s${i % 4}` })),
      );
      let count = 0;
      let cursor: string | undefined;
      do {
        const page = await s.faults.query!({ itinerary, step: 's1', limit: 100, ...(cursor ? { cursor } : {}) });
        count += page.items.length;
        cursor = page.nextCursor;
      } while (cursor);
      expect(count).toBe(250);
      expect((await s.faults.groups!('itinerary')).find((g) => g.key === itinerary)!.count).toBe(1000);
    }, 30_000);

    it('keeps the audit trail newest first, a page at a time', async () => {
      const operator = uid('op');
      const t0 = Date.now() - 1000;
      for (let i = 0; i < 7; i++)
        await s.audit.record({ at: iso(t0 + (i < 3 ? 0 : i)), operator, action: 'fault.delete', target: `f${i}`, detail: { i } });
      const mine = async (cursor?: string) => s.audit.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      const seen: string[] = [];
      let page = await mine();
      seen.push(...page.items.filter((e) => e.operator === operator).map((e) => e.target));
      while (page.nextCursor && seen.length < 7) {
        page = await mine(page.nextCursor);
        seen.push(...page.items.filter((e) => e.operator === operator).map((e) => e.target));
      }
      expect(seen.slice(0, 4)).toEqual(['f6', 'f5', 'f4', 'f3']);
      expect(seen.slice(4).sort()).toEqual(['f0', 'f1', 'f2']);
      const first = (await s.audit.list({ limit: 1 })).items[0]!;
      expect(first).toEqual({ at: iso(t0 + 6), operator, action: 'fault.delete', target: 'f6', detail: { i: 6 } });
    });
  });
}
