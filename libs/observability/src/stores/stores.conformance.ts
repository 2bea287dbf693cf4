import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FaultRecord, FaultStore, IdempotencyStore, MessageRecord, MessageStore, TraceEntry } from '@itinera/core';

/** Shared behaviour of the record stores: memory and Redis run the same tests. */
export interface StoresUnderTest {
  messages: MessageStore;
  faults: FaultStore;
  idempotency: IdempotencyStore;
  cleanup(): Promise<void>;
}

let n = 0;
const uid = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++n}`;

export const sampleRecord = (messageId: string): MessageRecord => ({
  messageId,
  correlationId: `c-${messageId}`,
  itinerary: 'orders@1.0.0',
  status: 'accepted',
  action: 'order.create',
  acceptedAt: '2024-05-01T10:00:00.000Z',
  updatedAt: '2024-05-01T10:00:00.000Z',
  trace: [entry('validate', 'receive')],
  context: { tenant: 'acme' },
});

export const entry = (step: string, stage: 'receive' | 'send' = 'send', attempt = 1): TraceEntry => ({
  step,
  service: step,
  stage,
  start: '2024-05-01T10:00:00.000Z',
  durationMs: 3,
  outcome: 'completed',
  attempt,
});

export const sampleFault = (id: string, at: string): FaultRecord => ({
  id,
  messageId: `m-${id}`,
  correlationId: `c-${id}`,
  itinerary: 'orders@1.0.0',
  step: 'send',
  attempts: 3,
  error: { code: 'SEND_FAILED', message: 'downstream said 500' },
  envelope: {
    id: `m-${id}`,
    correlationId: `c-${id}`,
    body: { n: 1 },
    headers: {},
    context: {},
    itinerary: { name: 'orders', version: '1.0.0', cursor: 2 },
    origin: { transport: 'http' },
    trace: [],
    createdAt: at,
  },
  at,
});

export function describeRecordStores(name: string, factory: () => Promise<StoresUnderTest>): void {
  describe(`record stores: ${name}`, () => {
    let s: StoresUnderTest;
    beforeEach(async () => {
      s = await factory();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    describe('MessageStore', () => {
      it('puts and gets a record, as a copy', async () => {
        const id = uid('m');
        const record = sampleRecord(id);
        await s.messages.put(record);
        record.status = 'faulted';
        const got = await s.messages.get(id);
        expect(got).toEqual(sampleRecord(id));
        got!.trace.push(entry('x'));
        expect((await s.messages.get(id))!.trace).toHaveLength(1);
      });

      it('returns undefined for an unknown id', async () => {
        expect(await s.messages.get(uid('none'))).toBeUndefined();
      });

      it('merges updates: fields replace, context merges, trace appends, updatedAt moves', async () => {
        const id = uid('m');
        await s.messages.put(sampleRecord(id));
        await s.messages.update(id, { status: 'running', context: { endpoint: 'http://a' } }, [entry('route')]);
        await s.messages.update(id, { status: 'completed', reply: { body: { ok: true } } }, [entry('send'), entry('reply')]);
        const got = await s.messages.get(id);
        expect(got).toMatchObject({
          messageId: id,
          correlationId: `c-${id}`,
          status: 'completed',
          reply: { body: { ok: true } },
          context: { tenant: 'acme', endpoint: 'http://a' },
        });
        expect(got!.trace.map((t) => t.step)).toEqual(['validate', 'route', 'send', 'reply']);
        expect(got!.updatedAt > '2024-05-01T10:00:00.000Z').toBe(true);
      });

      it('keeps every trace entry of concurrent updates', async () => {
        const id = uid('m');
        await s.messages.put({ ...sampleRecord(id), trace: [] });
        await Promise.all(Array.from({ length: 20 }, (_, i) => s.messages.update(id, { status: 'running' }, [entry(`s${i}`)])));
        const got = await s.messages.get(id);
        expect(got!.trace.map((t) => t.step).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `s${i}`).sort());
      });

      it('ignores an update for an unknown id', async () => {
        const id = uid('m');
        await s.messages.update(id, { status: 'running' }, [entry('x')]);
        expect(await s.messages.get(id)).toBeUndefined();
      });

      it('never lets a late running overwrite a final status', async () => {
        const id = uid('m');
        await s.messages.put(sampleRecord(id));
        await s.messages.update(id, { status: 'completed' });
        await s.messages.update(id, { status: 'running' });
        expect((await s.messages.get(id))?.status).toBe('completed');
        await s.messages.update(id, { status: 'faulted' });
        expect((await s.messages.get(id))?.status).toBe('faulted');
      });

      it('replaces a record on put', async () => {
        const id = uid('m');
        await s.messages.put(sampleRecord(id));
        await s.messages.update(id, { context: { extra: 1 } }, [entry('a')]);
        await s.messages.put({ ...sampleRecord(id), status: 'completed', context: {} });
        const got = await s.messages.get(id);
        expect(got!.status).toBe('completed');
        expect(got!.context).toEqual({});
        expect(got!.trace.map((t) => t.step)).toEqual(['validate']);
      });
    });

    describe('byte budgets (1 MiB a record write, 1 MiB a fault)', () => {
      const big = (kb: number) => 'x'.repeat(kb * 1024);
      const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

      it('a record with a huge reply is kept, the reply replaced by a marker saying how big it was', async () => {
        const id = uid('m');
        await s.messages.put({ ...sampleRecord(id), status: 'completed', reply: { body: { data: big(1200) } } });
        const got = (await s.messages.get(id))!;
        expect(got.reply).toEqual({ body: { truncated: true, bytes: size({ data: big(1200) }) } });
        expect(got).toMatchObject({ messageId: id, status: 'completed', context: { tenant: 'acme' } });
        expect(got.trace).toHaveLength(1);
        expect(size(got)).toBeLessThan(1024 * 1024);
      });

      it('an update with a huge reply and context keeps its status and small parts, the big parts as markers', async () => {
        const id = uid('m');
        await s.messages.put(sampleRecord(id));
        await s.messages.update(id, { status: 'completed', reply: { body: big(1100) }, context: { big: big(1100), small: 1 } }, [entry('reply')]);
        const got = (await s.messages.get(id))!;
        expect(got.status).toBe('completed');
        expect(got.reply).toEqual({ body: { truncated: true, bytes: big(1100).length + 2 } });
        expect(got.context).toEqual({ tenant: 'acme', big: { truncated: true, bytes: big(1100).length + 2 }, small: 1 });
        expect(got.trace.map((e) => e.step)).toEqual(['validate', 'reply']);
        expect(size(got)).toBeLessThan(1024 * 1024);
      });

      it('a large context value goes before the reply: a reply within the budget stays whole', async () => {
        const id = uid('m');
        await s.messages.put(sampleRecord(id));
        await s.messages.update(id, { reply: { body: big(600) }, context: { big: big(600) } });
        const got = (await s.messages.get(id))!;
        expect(got.reply).toEqual({ body: big(600) });
        expect(got.context!.big).toEqual({ truncated: true, bytes: big(600).length + 2 });
      });

      it('a fault over its budget is kept with its body replaced, and says what was left out', async () => {
        const id = uid('f');
        const fault = sampleFault(id, '2024-05-01T10:00:00.000Z');
        fault.envelope.body = { blob: big(2048) };
        await s.faults.add(fault);
        const got = (await s.faults.get(id))!;
        expect(got.envelope.body).toEqual({ truncated: true, bytes: size({ blob: big(2048) }) });
        expect(got.truncated).toEqual(['/envelope/body']);
        expect(got).toMatchObject({ messageId: `m-${id}`, error: fault.error, step: 'send' });
        expect(size(got)).toBeLessThan(1024 * 1024);
        // A fault within its budget is kept whole.
        const small = sampleFault(uid('f'), '2024-05-01T10:00:00.000Z');
        await s.faults.add(small);
        expect(await s.faults.get(small.id)).toEqual(small);
      });
    });

    describe('FaultStore', () => {
      it('adds, gets, lists newest first with a limit, and removes', async () => {
        const a = sampleFault(uid('f'), '2024-05-01T10:00:00.000Z');
        const b = sampleFault(uid('f'), '2024-05-01T11:00:00.000Z');
        const c = sampleFault(uid('f'), '2024-05-01T12:00:00.000Z');
        for (const f of [b, a, c]) await s.faults.add(f);
        expect(await s.faults.get(a.id)).toEqual(a);
        const listed = (await s.faults.list(50)).filter((f) => [a.id, b.id, c.id].includes(f.id));
        expect(listed.map((f) => f.id)).toEqual([c.id, b.id, a.id]);
        expect(await s.faults.list(0)).toEqual([]);
        await s.faults.remove(b.id);
        expect(await s.faults.get(b.id)).toBeUndefined();
        expect((await s.faults.list(50)).map((f) => f.id)).not.toContain(b.id);
      });
    });

    describe('IdempotencyStore', () => {
      it('lets the first claim win and returns it to later claims', async () => {
        const key = uid('idem');
        expect(await s.idempotency.claim(key, 'h1', { messageId: 'm1' }, 60_000)).toBeUndefined();
        expect(await s.idempotency.claim(key, 'h2', { messageId: 'm2' }, 60_000)).toEqual({ hash: 'h1', value: { messageId: 'm1' } });
        expect(await s.idempotency.get(key)).toEqual({ hash: 'h1', value: { messageId: 'm1' } });
        expect(await s.idempotency.get(uid('idem'))).toBeUndefined();
      });

      it('replaces a claim with set and drops it with release', async () => {
        const key = uid('k');
        expect(await s.idempotency.claim(key, 'h', { inProgress: true }, 60_000)).toBeUndefined();
        await s.idempotency.set(key, 'h', { messageId: 'm1' }, 60_000);
        expect(await s.idempotency.get(key)).toEqual({ hash: 'h', value: { messageId: 'm1' } });
        await s.idempotency.release(key);
        expect(await s.idempotency.get(key)).toBeUndefined();
        expect(await s.idempotency.claim(key, 'h2', 1, 60_000)).toBeUndefined();
      });

      it('has exactly one winner among concurrent claims', async () => {
        const key = uid('idem');
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => s.idempotency.claim(key, `h${i}`, i, 60_000)));
        expect(results.filter((r) => r === undefined)).toHaveLength(1);
      });

      it('forgets a claim after its TTL', async () => {
        const key = uid('idem');
        await s.idempotency.claim(key, 'h1', 1, 50);
        await new Promise((r) => setTimeout(r, 120));
        expect(await s.idempotency.claim(key, 'h2', 2, 60_000)).toBeUndefined();
      });
    });
  });
}
