import {
  applySpec,
  formatDetails,
  stepId as makeStepId,
  type Envelope,
  type Facts,
  type SessionState,
  type Stage,
  type StepContext,
  type StepDefinition,
  type StepResult,
  type StepService,
} from '@itinera/core';
import { createFakeRuntime, type FakeRuntime, type FakeRuntimeOptions } from './fake-runtime';
import { FakeSessionStore } from './fake-session-store';

export interface FakeStepContextOptions extends FakeRuntimeOptions {
  /** When given, `params` go through its spec like the runner does (defaults, types); a mismatch throws. */
  service?: StepService<any>;
  params?: Record<string, unknown>;
  envelope?: Partial<Envelope>;
  /** Use this very envelope (to chain steps over one message); `envelope`, `body`, `action`, `session` are then ignored. */
  sharedEnvelope?: Envelope;
  body?: unknown;
  action?: string;
  /** Originating session id (created in the fake store when that is the store used). */
  session?: string;
  /** The client's id for the message (duplex `send` frame id). */
  clientMessageId?: string;
  /** Per-session state the step starts with. */
  state?: Record<string, unknown>;
  step?: Partial<StepDefinition>;
  stage?: Stage;
  stepIndex?: number;
  attempt?: number;
  /** Use this runtime instead of a new fake one (to share sessions across contexts). */
  runtime?: FakeRuntime;
}

export interface FakeStepContext<P = Record<string, unknown>> extends StepContext<P> {
  runtime: FakeRuntime;
  /** Whether a step called `state.set`. */
  readonly stateChanged: boolean;
  /** Persist the state like the runner does after a completed step. */
  flush(): Promise<void>;
}

class FakeState implements SessionState {
  changed = false;
  constructor(
    readonly sessionId: string | undefined,
    private value: Record<string, unknown>,
  ) {}
  get(): Record<string, unknown> {
    return this.value;
  }
  set(next: Record<string, unknown>): void {
    this.value = next;
    this.changed = true;
  }
}

/** An envelope with every field filled, for tests. */
export function createFakeEnvelope(patch: Partial<Envelope> = {}): Envelope {
  return {
    id: 'msg-1',
    correlationId: 'corr-1',
    body: {},
    headers: {},
    context: {},
    itinerary: { name: 'test', version: '1.0.0', cursor: 0 },
    origin: { transport: 'http' },
    trace: [],
    createdAt: new Date(0).toISOString(),
    ...patch,
  };
}

function buildEnvelope(opts: FakeStepContextOptions): Envelope {
  const origin = { transport: opts.session ? ('ws' as const) : ('http' as const), ...(opts.envelope?.origin ?? {}) };
  if (opts.session) origin.session = opts.session;
  if (opts.clientMessageId) origin.clientMessageId = opts.clientMessageId;
  return createFakeEnvelope({
    ...opts.envelope,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.action !== undefined ? { action: opts.action } : {}),
    origin,
  });
}

/**
 * A StepContext over a fake runtime: real JSONata and ajv, an in-memory session
 * store, and recorders for sends, replies, publishes and logs.
 */
export function createFakeStepContext<P = Record<string, unknown>>(opts: FakeStepContextOptions = {}): FakeStepContext<P> {
  const runtime = opts.runtime ?? createFakeRuntime(opts);
  const envelope = opts.sharedEnvelope ?? buildEnvelope(opts);
  const origin = envelope.origin;
  if (origin.session && runtime.sessions instanceof FakeSessionStore) runtime.sessions.seed(origin.session, opts.state);
  const step: StepDefinition = { id: 'step-1', service: opts.service?.name ?? 'test', ...opts.step };
  const stepIndex = opts.stepIndex ?? 0;
  const state = new FakeState(origin.session, structuredClone(opts.state ?? {}));
  let params = opts.params ?? {};
  if (opts.service) {
    const checked = applySpec(opts.service.spec, params, { what: `service "${opts.service.name}"` });
    if (checked.errors.length) throw new Error(`params do not fit the "${opts.service.name}" spec:\n${formatDetails(checked.errors)}`);
    params = checked.value;
  }
  const facts = (): Facts => ({
    body: envelope.body,
    action: envelope.action,
    headers: envelope.headers,
    context: envelope.context,
    state: state.get(),
    message: { id: envelope.id, correlationId: envelope.correlationId, itinerary: envelope.itinerary.name, version: envelope.itinerary.version },
    session: envelope.origin.session ? { id: envelope.origin.session } : undefined,
    env: runtime.env,
  });
  return {
    envelope,
    step,
    stepIndex,
    stepId: makeStepId(envelope.id, stepIndex, step.id),
    stage: opts.stage ?? step.stage ?? 'send',
    attempt: opts.attempt ?? 1,
    params: params as P,
    facts,
    state,
    runtime,
    get stateChanged() {
      return state.changed;
    },
    async flush() {
      if (state.changed && state.sessionId) await runtime.sessions.setState(state.sessionId, state.get());
    },
  };
}

/** Run a service once like the runner would: params through its spec, state saved when it completes. */
export async function runFakeStep<P = Record<string, unknown>>(
  service: StepService<any>,
  opts: Omit<FakeStepContextOptions, 'service'> = {},
): Promise<{ result: StepResult; ctx: FakeStepContext<P> }> {
  const ctx = createFakeStepContext<P>({ ...opts, service });
  const result = (await service.run(ctx)) ?? { outcome: 'completed' as const };
  if (result.outcome !== 'faulted') await ctx.flush();
  return { result, ctx };
}
