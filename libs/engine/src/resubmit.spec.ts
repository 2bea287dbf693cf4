import { describe, expect, it } from 'vitest';
import { ItineraError, type Envelope, type FaultRecord, type ItineraryDefinition, type MessageBox, type PublishOptions } from '@itinera/core';
import { MemoryFaultStore, MemoryMessageStore } from '@itinera/observability';
import { checkRepair, faultFrameKey, resubmitFault, type ResubmitDeps } from './resubmit';

const DEF: ItineraryDefinition = {
  name: 'calc',
  version: '1.0.0',
  steps: [
    { id: 'check', service: 'validate', stage: 'receive', options: {} },
    { id: 'guard', service: 'fault', options: {} },
    { id: 'apply', service: 'session', options: {} },
    { id: 'result', service: 'callback', options: {} },
  ],
} as ItineraryDefinition;

// The same steps, with `apply` on a service queue (a hop before it).
const HOPPING: ItineraryDefinition = { ...DEF, version: '2.0.0', steps: DEF.steps.map((s) => (s.id === 'apply' ? { ...s, queue: 'slow' } : s)) };

const source = {
  itinerary(name: string, version?: string): ItineraryDefinition {
    if (name === 'calc' && version === '2.0.0') return HOPPING;
    if (name === 'calc' && (!version || version === '1.0.0')) return DEF;
    throw new ItineraError('ITINERARY_NOT_FOUND', `no ${name}@${version}`);
  },
};

class FakeBox implements MessageBox {
  readonly kind = 'fake';
  published: { queue: string; data: Envelope; opts?: PublishOptions }[] = [];
  fail = false;
  async publish<T>(queue: string, data: T, opts?: PublishOptions): Promise<void> {
    if (this.fail) throw new Error('down');
    this.published.push({ queue, data: structuredClone(data) as Envelope, opts });
  }
  async consume(): Promise<never> {
    throw new Error('not used');
  }
  async isReady(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function envelope(over: Partial<Envelope> = {}): Envelope {
  return {
    id: 'm1',
    correlationId: 'k1',
    action: 'DivideBy',
    body: { n: 0 },
    headers: {},
    context: { a: 1 },
    itinerary: { name: 'calc', version: '1.0.0', cursor: 1 },
    origin: { transport: 'ws', session: 's1', clientMessageId: 'c1' },
    trace: [{ step: 'check', service: 'validate', stage: 'receive', start: 't', durationMs: 1, outcome: 'completed', attempt: 1 }],
    createdAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

async function setup(fault: Partial<FaultRecord> = {}) {
  const faults = new MemoryFaultStore();
  const messages = new MemoryMessageStore();
  const box = new FakeBox();
  const env = fault.envelope ?? envelope();
  await faults.add({
    id: 'f1',
    messageId: env.id,
    correlationId: env.correlationId,
    itinerary: 'calc@1.0.0',
    step: 'guard',
    attempts: 1,
    error: { code: 'DIVIDE_BY_ZERO', message: 'no' },
    envelope: env,
    at: new Date().toISOString(),
    ...fault,
  });
  await messages.put({
    messageId: env.id,
    correlationId: env.correlationId,
    itinerary: 'calc@1.0.0',
    status: 'faulted',
    session: 's1',
    acceptedAt: env.createdAt,
    updatedAt: env.createdAt,
    trace: env.trace.slice(),
    error: { code: 'DIVIDE_BY_ZERO', message: 'no', step: 'guard' },
  });
  const deps: ResubmitDeps = { faults, messages, box, itineraries: source, workQueue: 'work', node: 'n1' };
  return { deps, faults, messages, box };
}

const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: ItineraError) => e.code,
  );

describe('resubmitFault', () => {
  it('publishes the repaired envelope from the failed step, resets the record and removes the fault', async () => {
    const { deps, faults, messages, box } = await setup();
    const r = await resubmitFault(deps, 'f1', { body: { n: 4 }, context: { b: 2 } });
    expect(r).toMatchObject({ messageId: 'm1', correlationId: 'k1', itinerary: 'calc@1.0.0', status: 'accepted', jobId: 'm1.r1', fromStep: 'guard' });
    expect(box.published).toHaveLength(1);
    const { queue, data, opts } = box.published[0];
    expect(queue).toBe('work');
    expect(opts).toEqual({ jobId: 'm1.r1', orderingKey: 's1' });
    expect(data.body).toEqual({ n: 4 });
    expect(data.context).toEqual({ a: 1, b: 2 });
    expect(data.itinerary).toEqual({ name: 'calc', version: '1.0.0', cursor: 1 });
    expect(data.origin).toMatchObject({ session: 's1', clientMessageId: 'c1' });
    expect(data.trace.at(-1)).toMatchObject({ step: 'resubmit', service: 'faults', outcome: 'completed', attempt: 1 });
    const record = await messages.get('m1');
    expect(record?.status).toBe('accepted');
    expect(record?.error).toBeUndefined();
    expect(record?.trace.map((t) => t.step)).toEqual(['check', 'resubmit']);
    expect(record?.trace.at(-1)?.note).toMatch(/fault f1 \(DIVIDE_BY_ZERO at step guard\) resubmitted from step guard; body replaced, context merged \(b\)/);
    expect(await faults.get('f1')).toBeUndefined();
  });

  it("keeps the sender's principal as the record's owner", async () => {
    const principal = { id: 'key:alice', kind: 'api-key' as const, name: 'alice', permissions: [] };
    const { deps, messages, box } = await setup({ envelope: envelope({ principal }) });
    await resubmitFault(deps, 'f1');
    expect((await messages.get('m1'))?.principal).toBe('key:alice');
    expect(box.published[0].data.principal).toEqual(principal);
  });

  it('numbers resubmissions from the trace, so each gets its own job id and fault-frame key', async () => {
    const env = envelope();
    expect(faultFrameKey(env)).toBe('fault:m1');
    env.trace.push({ step: 'resubmit', service: 'faults', stage: 'send', start: 't', durationMs: 0, outcome: 'completed', attempt: 1 });
    expect(faultFrameKey(env)).toBe('fault:m1.r1');
    const { deps, box } = await setup({ envelope: env });
    expect((await resubmitFault(deps, 'f1')).jobId).toBe('m1.r2');
    expect(box.published[0].data.body).toEqual({ n: 0 });
  });

  it('restarts from fromStep, which must be a step after publication', async () => {
    const { deps, box } = await setup();
    expect(await code(resubmitFault(deps, 'f1', { fromStep: 'check' }))).toBe('VALIDATION_FAILED');
    expect(await code(resubmitFault(deps, 'f1', { fromStep: 'nope' }))).toBe('VALIDATION_FAILED');
    const r = await resubmitFault(deps, 'f1', { fromStep: 'apply' });
    expect(r.fromStep).toBe('apply');
    expect(box.published[0].data.itinerary.cursor).toBe(2);
  });

  it('sends a restart at a hop step to its service queue, and refuses to repeat a hop already taken', async () => {
    const atHop = await setup({ step: 'apply', envelope: envelope({ itinerary: { name: 'calc', version: '2.0.0', cursor: 2 } }) });
    const r = await resubmitFault(atHop.deps, 'f1');
    expect(r).toMatchObject({ fromStep: 'apply', queue: 'slow' });
    expect(atHop.box.published[0]).toMatchObject({ queue: 'slow', opts: { jobId: 'm1.r1' } });

    const afterHop = await setup({ step: 'result', envelope: envelope({ itinerary: { name: 'calc', version: '2.0.0', cursor: 3 } }) });
    const err = await resubmitFault(afterHop.deps, 'f1', { fromStep: 'guard' }).catch((e: ItineraError) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((err as Error).message).toMatch(/would repeat the hop to queue "slow" before step "apply"/);
    expect((await resubmitFault(afterHop.deps, 'f1', { fromStep: 'apply' })).queue).toBe('slow');
  });

  it('refuses unknown faults, refused queue jobs and undeployed versions, changing nothing', async () => {
    const a = await setup();
    expect(await code(resubmitFault(a.deps, 'nope'))).toBe('FAULT_NOT_FOUND');
    const queued = envelope({ itinerary: { name: 'calc', version: '', cursor: 0 }, origin: { transport: 'queue', queue: 'in' } });
    const b = await setup({ envelope: queued });
    const err = await resubmitFault(b.deps, 'f1').catch((e: ItineraError) => e);
    expect(err).toMatchObject({ code: 'FAULT_NOT_RESUBMITTABLE' });
    expect((err as Error).message).toMatch(/queue on-ramp "in" refused the job/);
    const c = await setup({ envelope: envelope({ itinerary: { name: 'calc', version: '0.9.0', cursor: 1 } }) });
    expect(await code(resubmitFault(c.deps, 'f1'))).toBe('FAULT_NOT_RESUBMITTABLE');
    for (const s of [b, c]) {
      expect(s.box.published).toHaveLength(0);
      expect(await s.faults.get('f1')).toBeDefined();
      expect((await s.messages.get('m1'))?.status).toBe('faulted');
    }
  });

  it('refuses a fault whose body passed its byte budget unless the repair supplies it', async () => {
    const s = await setup({ envelope: envelope({ body: { truncated: true, bytes: 5_000_000 } }), truncated: ['/envelope/body'] });
    const err = await resubmitFault(s.deps, 'f1').catch((e: ItineraError) => e);
    expect(err).toMatchObject({ code: 'FAULT_NOT_RESUBMITTABLE' });
    expect((err as Error).message).toMatch(/ITINERA_FAULT_MAX_BYTES.*\/envelope\/body/);
    expect(s.box.published).toHaveLength(0);
    await resubmitFault(s.deps, 'f1', { body: { n: 2 } });
    expect(s.box.published[0]!.data.body).toEqual({ n: 2 });
  });

  it('keeps the fault and the faulted record when the box refuses the job', async () => {
    const { deps, faults, messages, box } = await setup();
    box.fail = true;
    expect(await code(resubmitFault(deps, 'f1'))).toBe('TRANSPORT_UNAVAILABLE');
    expect(await faults.get('f1')).toBeDefined();
    expect((await messages.get('m1'))?.status).toBe('faulted');
  });
});

describe('checkRepair', () => {
  it('accepts { body?, context?, fromStep? } and names each problem otherwise', () => {
    expect(checkRepair(undefined)).toEqual({});
    expect(checkRepair({ body: null })).toEqual({ body: null });
    const err = (() => {
      try {
        checkRepair({ context: [1], from: 'x', fromStep: 3 });
      } catch (e) {
        return e as ItineraError;
      }
    })();
    expect(err?.code).toBe('VALIDATION_FAILED');
    expect(err?.details?.map((d) => d.pointer).sort()).toEqual(['/context', '/from', '/fromStep']);
    expect(() => checkRepair([1])).toThrow(/must be a JSON object/);
  });
});
