import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map';
import { MemoryFaultStore } from './memory.fault-store';
import { MemoryIdempotencyStore } from './memory.idempotency-store';
import { MemoryMessageStore } from './memory.message-store';
import { createRecordStores } from './record-stores';
import { describeRecordStores, entry, sampleFault, sampleRecord } from './stores.conformance';
import { describeSearchStores } from './search.conformance';

describeRecordStores('memory', async () => {
  const stores = createRecordStores();
  return { ...stores, cleanup: () => stores.close() };
});

describe('memory stores stay bounded', () => {
  it('BoundedMap drops the oldest written entries beyond its cap and expired ones', async () => {
    const map = new BoundedMap<number>(3);
    for (const [k, v] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ] as const)
      map.set(k, v);
    map.set('a', 10); // rewritten: now the newest
    map.set('d', 4);
    expect(map.get('b')).toBeUndefined();
    expect(map.newestFirst()).toEqual([4, 10, 3]);
    map.set('e', 5, 10);
    await new Promise((r) => setTimeout(r, 30));
    expect(map.get('e')).toBeUndefined();
  });

  it('MemoryMessageStore keeps at most maxRecords and maxTrace', async () => {
    const store = new MemoryMessageStore({ maxRecords: 2, maxTrace: 3 });
    for (const id of ['m1', 'm2', 'm3']) await store.put(sampleRecord(id));
    expect(await store.get('m1')).toBeUndefined();
    await store.update('m3', {}, [entry('a'), entry('b'), entry('c')]);
    expect((await store.get('m3'))!.trace.map((t) => t.step)).toEqual(['a', 'b', 'c']);
  });

  it('MemoryMessageStore answers a record whose large update grew its store after evictions', async () => {
    const store = new MemoryMessageStore({ maxRecords: 100 });
    for (let i = 0; i < 150; i++) await store.put(sampleRecord(`m${i}`));
    await store.update('m149', { reply: { body: 'r'.repeat(60_000) } });
    expect((await store.get('m149'))?.reply).toEqual({ body: 'r'.repeat(60_000) });
    expect(await store.get('m0')).toBeUndefined();
  });

  it('MemoryMessageStore forgets records after their TTL', async () => {
    const store = new MemoryMessageStore({ ttlMs: 20 });
    await store.put(sampleRecord('m1'));
    await new Promise((r) => setTimeout(r, 40));
    expect(await store.get('m1')).toBeUndefined();
  });

  it('MemoryFaultStore and MemoryIdempotencyStore keep at most their cap', async () => {
    const faults = new MemoryFaultStore({ maxFaults: 2 });
    for (const id of ['f1', 'f2', 'f3']) await faults.add(sampleFault(id, '2024-05-01T10:00:00.000Z'));
    expect((await faults.list()).map((f) => f.id).sort()).toEqual(['f2', 'f3']);
    const idem = new MemoryIdempotencyStore({ maxKeys: 1 });
    await idem.claim('k1', 'h', 1, 60_000);
    await idem.claim('k2', 'h', 2, 60_000);
    expect(await idem.get('k1')).toBeUndefined();
  });
});

describeSearchStores('memory', async () => {
  const stores = createRecordStores();
  return { ...stores, cleanup: () => stores.close() };
});
