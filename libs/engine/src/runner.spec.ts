import { describe, expect, it } from 'vitest';
import {
  ItineraError,
  defineStep,
  silentLogger,
  type Envelope,
  type ItineraryDefinition,
  type SessionStore,
  type StepRuntime,
  type StepService,
} from '@itinera/core';
import { ItineraryRunner } from './runner';

function envelope(name = 'it', patch: Partial<Envelope> = {}): Envelope {
  return {
    id: 'm1',
    correlationId: 'c1',
    action: 'Go',
    body: { n: 1 },
    headers: {},
    context: {},
    itinerary: { name, version: '1.0.0', cursor: 0 },
    origin: { transport: 'http' },
    trace: [],
    createdAt: new Date().toISOString(),
    ...patch,
  };
}

function fakeSessions(): SessionStore & { states: Map<string, Record<string, unknown>> } {
  const states = new Map<string, Record<string, unknown>>();
  return {
    states,
    getState: async (id: string) => ({ ...(states.get(id) ?? {}) }),
    setState: async (id: string, s: Record<string, unknown>) => void states.set(id, s),
  } as unknown as SessionStore & { states: Map<string, Record<string, unknown>> };
}

function setup(def: ItineraryDefinition, services: StepService<any>[], sessions = fakeSessions()) {
  const runtime = {
    expressions: {
      // A tiny stand-in for JSONata: `when` strings are JS over the facts.
      evaluate: async (src: string, facts: any) => new Function('f', `with (f) { return (${src}); }`)(facts),
      map: async () => undefined,
    },
    sessions,
    logger: silentLogger,
    node: 'test',
    env: {},
    callbackDefaults: { limit: 10, overflow: 'fault' },
  } as unknown as StepRuntime;
  const runner = new ItineraryRunner({
    itineraries: { itinerary: () => def },
    resolvers: { resolve: async (r) => ({ params: (r && r.type === 'static' ? r.params : {}) ?? {}, decision: { type: 'static', params: {} } }) },
    services: new Map(services.map((s) => [s.name, s as StepService])),
    runtime,
  });
  return { runner, sessions };
}

const add = defineStep<{ by: number }>({
  name: 'add',
  summary: 'adds',
  spec: { by: { type: 'number', description: 'amount', required: true } },
  run(ctx) {
    (ctx.envelope.body as { n: number }).n += ctx.params.by;
  },
});

describe('ItineraryRunner', () => {
  it('runs receive-stage steps, stops at the first send-stage step, then runs the rest', async () => {
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [
        { id: 'a', service: 'add', stage: 'receive', options: { by: 1 } },
        { id: 'b', service: 'add', options: { by: 10 } },
        { id: 'c', service: 'add', resolver: { type: 'static', params: { by: 100 } } },
      ],
    };
    const { runner } = setup(def, [add]);
    const env = envelope();
    expect(await runner.run(env, 'receive')).toEqual({ status: 'completed', next: 1 });
    expect(env.body).toEqual({ n: 2 });
    expect(await runner.run(env, 'send')).toEqual({ status: 'completed', next: 3 });
    expect(env.body).toEqual({ n: 112 });
    expect(env.trace.map((t) => [t.step, t.stage, t.outcome])).toEqual([
      ['a', 'receive', 'completed'],
      ['b', 'send', 'completed'],
      ['c', 'send', 'completed'],
    ]);
  });

  it('skips a step whose `when` is false and records it', async () => {
    const def: ItineraryDefinition = { name: 'it', version: '1.0.0', steps: [{ id: 'a', service: 'add', when: "action == 'Other'", options: { by: 1 } }] };
    const { runner } = setup(def, [add]);
    const env = envelope();
    await runner.run(env, 'send');
    expect(env.body).toEqual({ n: 1 });
    expect(env.trace[0].outcome).toBe('skipped');
  });

  it('retries a transient failure by the step policy, then completes', async () => {
    let calls = 0;
    const flaky = defineStep({
      name: 'flaky',
      summary: '',
      spec: {},
      run() {
        if (++calls < 3) throw new ItineraError('SEND_FAILED', 'down', { transient: true });
      },
    });
    const def: ItineraryDefinition = { name: 'it', version: '1.0.0', steps: [{ id: 'f', service: 'flaky', retry: { attempts: 3, backoffMs: 1 } }] };
    const { runner } = setup(def, [flaky]);
    const env = envelope();
    expect((await runner.run(env, 'send')).status).toBe('completed');
    expect(env.trace.map((t) => t.outcome)).toEqual(['retried', 'retried', 'completed']);
  });

  it('with deferRetries, ends a retry as deferred (the backoff) and counts its attempts from the trace on the next run', async () => {
    let calls = 0;
    const flaky = defineStep({
      name: 'flaky',
      summary: '',
      spec: {},
      run() {
        calls++;
        throw new ItineraError('SEND_FAILED', 'down', { transient: true });
      },
    });
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [{ id: 'f', service: 'flaky', retry: { attempts: 3, backoffMs: 100, factor: 3 } }],
    };
    const { runner } = setup(def, [flaky]);
    const env = envelope();
    expect(await runner.run(env, 'send', { deferRetries: true })).toEqual({ status: 'deferred', delayMs: 100, step: 'f' });
    expect(env.itinerary.cursor).toBe(0);
    expect(await runner.run(env, 'send', { deferRetries: true })).toEqual({ status: 'deferred', delayMs: 300, step: 'f' });
    const last = await runner.run(env, 'send', { deferRetries: true });
    expect(last).toMatchObject({ status: 'faulted', attempts: 3, step: 'f' });
    expect(calls).toBe(3);
    expect(env.trace.map((t) => [t.outcome, t.attempt])).toEqual([
      ['retried', 1],
      ['retried', 2],
      ['faulted', 3],
    ]);
  });

  it('turns a faulted result into a fault without retrying a non-transient error', async () => {
    let calls = 0;
    const bad = defineStep({
      name: 'bad',
      summary: '',
      spec: {},
      run: () => (calls++, { outcome: 'faulted' as const, error: new ItineraError('DIVIDE_BY_ZERO', 'no') }),
    });
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [
        { id: 'x', service: 'bad', retry: { attempts: 5, backoffMs: 1 } },
        { id: 'y', service: 'add', options: { by: 1 } },
      ],
    };
    const { runner } = setup(def, [bad, add]);
    const env = envelope();
    const r = await runner.run(env, 'send');
    expect(r).toMatchObject({ status: 'faulted', step: 'x', attempts: 1 });
    expect(r.status === 'faulted' && r.error.code).toBe('DIVIDE_BY_ZERO');
    expect(calls).toBe(1);
    expect(env.body).toEqual({ n: 1 });
  });

  it('faults with STEP_PARAMS_INVALID when resolved params do not match the spec', async () => {
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [{ id: 'a', service: 'add', resolver: { type: 'static', params: { by: 'lots' } } }],
    };
    const { runner } = setup(def, [add]);
    const r = await runner.run(envelope(), 'send');
    expect(r.status === 'faulted' && r.error.code).toBe('STEP_PARAMS_INVALID');
    expect(r.status === 'faulted' && r.error.details?.[0].pointer).toBe('/steps/0/options/by');
  });

  it('checks a frozen decision once, gives each message its own copy, and still faults a bad one', async () => {
    const good = Object.freeze({ by: 2 });
    const bad = Object.freeze({ by: 'lots' });
    let decide: Readonly<Record<string, unknown>> = good;
    const seen: Record<string, unknown>[] = [];
    const grab = defineStep<{ by: number }>({
      name: 'grab',
      summary: 'records its params and changes them',
      spec: { by: { type: 'number', description: 'amount', required: true } },
      run(ctx) {
        seen.push({ ...ctx.params });
        (ctx.params as { by: number }).by = 999;
      },
    });
    const def: ItineraryDefinition = { name: 'it', version: '1.0.0', steps: [{ id: 'a', service: 'grab', resolver: { type: 'rules', policy: 'p' } }] };
    const runtime = { expressions: {}, sessions: fakeSessions(), logger: silentLogger, node: 'test', env: {} } as unknown as StepRuntime;
    const runner = new ItineraryRunner({
      itineraries: { itinerary: () => def },
      resolvers: {
        resolve: async () => ({ params: decide as Record<string, unknown>, decision: { type: 'rules', params: decide as Record<string, unknown> } }),
      },
      services: new Map([['grab', grab as StepService]]),
      runtime,
    });
    for (let i = 0; i < 3; i++) expect((await runner.run(envelope(), 'send')).status).toBe('completed');
    // The step's change to its params reached neither the next message nor the frozen decision.
    expect(seen).toEqual([{ by: 2 }, { by: 2 }, { by: 2 }]);
    expect(good).toEqual({ by: 2 });
    decide = bad;
    const r = await runner.run(envelope(), 'send');
    expect(r.status === 'faulted' && r.error.code).toBe('STEP_PARAMS_INVALID');
  });

  it('stops before a step that hops to another queue, and runs it on that queue', async () => {
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [
        { id: 'a', service: 'add', options: { by: 1 } },
        { id: 'b', service: 'add', queue: 'billing', options: { by: 2 } },
      ],
    };
    const { runner } = setup(def, [add]);
    const env = envelope();
    expect(await runner.run(env, 'send')).toEqual({ status: 'hop', queue: 'billing' });
    expect(env.itinerary.cursor).toBe(1);
    expect(await runner.run(env, 'send', { queue: 'billing' })).toEqual({ status: 'completed', next: 2 });
    expect(env.body).toEqual({ n: 4 });
  });

  it('persists per-session state when a step completes and discards it when the step fails', async () => {
    const setState = defineStep<{ fail: boolean }>({
      name: 'set',
      summary: '',
      spec: { fail: { type: 'boolean', description: '', default: false } },
      run(ctx) {
        ctx.state.set({ ...ctx.state.get(), count: ((ctx.state.get().count as number) ?? 0) + 1 });
        if (ctx.params.fail) throw new ItineraError('BOOM', 'failed');
      },
    });
    const def: ItineraryDefinition = {
      name: 'it',
      version: '1.0.0',
      steps: [
        { id: 'a', service: 'set' },
        { id: 'b', service: 'set' },
        { id: 'c', service: 'set', options: { fail: true } },
      ],
    };
    const { runner, sessions } = setup(def, [setState]);
    const env = envelope('it', { origin: { transport: 'ws', session: 's1' } });
    const r = await runner.run(env, 'send');
    expect(r.status).toBe('faulted');
    expect(sessions.states.get('s1')).toMatchObject({ it: { count: 2 } });
  });

  it('skips a state-writing step already applied when the message is redelivered (at-least-once)', async () => {
    const inc = defineStep({
      name: 'inc',
      summary: '',
      spec: {},
      run(ctx) {
        ctx.state.set({ count: ((ctx.state.get().count as number) ?? 0) + 1 });
      },
    });
    const def: ItineraryDefinition = { name: 'it', version: '1.0.0', steps: [{ id: 'a', service: 'inc' }] };
    const { runner, sessions } = setup(def, [inc]);
    const published = envelope('it', { origin: { transport: 'ws', session: 's1' } });
    await runner.run(structuredClone(published), 'send');
    // The worker died before recording completion; the box delivers the published envelope again.
    const again = structuredClone(published);
    await runner.run(again, 'send', { attempt: 2 });
    expect(sessions.states.get('s1')).toMatchObject({ it: { count: 1 } });
    expect(again.trace[0]).toMatchObject({ outcome: 'skipped', attempt: 2, note: 'already applied before a redelivery' });
    // The marker never shows in the facts maps and rules see.
    expect(runner.facts(again, { count: 1 }).state).toEqual({ count: 1 });
  });

  it('faults with UNKNOWN_SERVICE rather than throwing', async () => {
    const def: ItineraryDefinition = { name: 'it', version: '1.0.0', steps: [{ id: 'a', service: 'ghost' }] };
    const { runner } = setup(def, []);
    const r = await runner.run(envelope(), 'send');
    expect(r.status === 'faulted' && r.error.code).toBe('UNKNOWN_SERVICE');
  });
});
