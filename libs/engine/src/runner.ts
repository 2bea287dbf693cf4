import {
  applySpec,
  formatDetails,
  isoNow,
  ItineraError,
  itineraryKey,
  joinPointer,
  markRedacted,
  redactSecrets,
  redactText,
  stepId as makeStepId,
  toItineraError,
  type Envelope,
  type Facts,
  type InboundMessage,
  type ItineraryDefinition,
  type ResolverDecision,
  type ResolverDefinition,
  type RetryPolicy,
  type RuleTrace,
  type Stage,
  type StepContext,
  type StepDefinition,
  type StepResult,
  type StepRuntime,
  type StepService,
  type TraceEntry,
} from '@itinera/core';
import type { Context, Span } from '@opentelemetry/api';
import { recordStepEntry, remoteContext, spanIdsOf, startStepSpan, traceContextOf, withSpanContext, type ActiveSpan } from '@itinera/observability';
import { SessionStateHandle } from './session-state';
import { retriesExhausted } from './retries-exhausted';
import type { ActivityTracker } from './activity-tracker';
import { boundedBody } from './trace-detail';

/** Where the runner reads itinerary definitions (the registry). */
export interface ItinerarySource {
  itinerary(name: string, version?: string): ItineraryDefinition;
}

/** How the runner resolves a step's parameters (the resolvers). */
export interface ParamResolver {
  resolve(def: ResolverDefinition | undefined, facts: Facts): Promise<{ params: Record<string, unknown>; decision: ResolverDecision }>;
  /** Trace detail: the rules of a rules decision, fired or not, with the facts they read. */
  explain?(decision: ResolverDecision, facts: Facts): RuleTrace[] | undefined;
}

/** Hooks the runner calls; the gateway and worker record them (store, metrics, logs). */
export interface RunObserver {
  /** `span`: the step's span, when the message has a trace (its ids go on the log line). */
  step?(envelope: Envelope, entry: TraceEntry, extra: { before?: unknown; after?: unknown; span?: { traceId: string; spanId?: string } }): void;
}

export type RunResult =
  /** Every step of the stage ran; `next` is the cursor of the first step of another stage (or steps.length). */
  | { status: 'completed'; next: number }
  /** Stopped before a step that asks for another service queue. */
  | { status: 'hop'; queue: string }
  | { status: 'terminated' }
  | { status: 'faulted'; error: ItineraError; step: string; attempts: number }
  /** A step failed with retries left and `deferRetries` was set: run the message again after `delayMs`. */
  | { status: 'deferred'; delayMs: number; step: string };

export interface RunnerDeps {
  itineraries: ItinerarySource;
  resolvers: ParamResolver;
  services: ReadonlyMap<string, StepService>;
  runtime: StepRuntime;
  observer?: RunObserver;
  /** Business activity monitoring: told when a step with `track` completes (never throws). */
  activity?: Pick<ActivityTracker, 'completed'>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The routing-slip runner: from the envelope's cursor, each step is resolved,
 * run and traced. `receive` runs the receive-stage steps (on the on-ramp, before
 * publication); `send` runs the rest (in a worker). It never throws for a step's
 * failure: the result says what happened (Courier-style result values).
 */
/** How one step ended, retries included. */
type StepEnd =
  | { outcome: 'completed' | 'skipped' | 'terminated' }
  | { outcome: 'faulted'; error: ItineraError; attempts: number }
  | { outcome: 'deferred'; delayMs: number };

export class ItineraryRunner {
  constructor(private readonly deps: RunnerDeps) {}

  definition(envelope: Envelope): ItineraryDefinition {
    return this.deps.itineraries.itinerary(envelope.itinerary.name, envelope.itinerary.version);
  }

  /**
   * `parent`: the message span's context (gateway, worker); else the span the envelope carries.
   * `deferRetries`: a step's retry does not sleep here; the run ends `deferred` with the backoff,
   * the cursor still on the step and its `retried` entry traced, and a later run (the message
   * box delivering the job again) counts the attempts from those entries.
   */
  async run(envelope: Envelope, stage: Stage, opts: { queue?: string; attempt?: number; parent?: Context; deferRetries?: boolean } = {}): Promise<RunResult> {
    const def = this.definition(envelope);
    const parent = opts.parent ?? remoteContext(envelope.traceContext);
    const state = new SessionStateHandle(envelope.origin.session, this.deps.runtime.sessions, envelope.itinerary.name);
    const steps = def.steps;
    while (envelope.itinerary.cursor < steps.length) {
      const index = envelope.itinerary.cursor;
      const step = steps[index];
      const stepStage = step.stage ?? 'send';
      if (stepStage !== stage) return { status: 'completed', next: index };
      if (stage === 'send' && step.queue && step.queue !== opts.queue) return { status: 'hop', queue: step.queue };
      const result = await this.runStep(envelope, def, step, index, state, opts.attempt ?? 1, parent, opts.deferRetries === true);
      if (result.outcome === 'faulted') return { status: 'faulted', error: result.error, step: step.id, attempts: result.attempts };
      if (result.outcome === 'deferred') return { status: 'deferred', delayMs: result.delayMs, step: step.id };
      envelope.itinerary.cursor = index + 1;
      if (result.outcome === 'terminated') {
        envelope.itinerary.cursor = steps.length;
        return { status: 'terminated' };
      }
    }
    return { status: 'completed', next: steps.length };
  }

  facts(envelope: Envelope, state: Record<string, unknown>): Facts {
    return {
      body: envelope.body,
      action: envelope.action,
      headers: envelope.headers,
      context: envelope.context,
      state,
      message: { id: envelope.id, correlationId: envelope.correlationId, itinerary: envelope.itinerary.name, version: envelope.itinerary.version },
      session: envelope.origin.session ? { id: envelope.origin.session } : undefined,
      env: this.deps.runtime.env,
      principal: envelope.principal,
    };
  }

  /** The facts of a message that is not an envelope yet: what the itinerary selector sees. */
  inboundFacts(m: InboundMessage): Facts {
    return {
      body: m.body,
      action: m.action,
      headers: m.headers,
      context: {},
      state: {},
      message: { id: '', correlationId: m.correlationId ?? '', itinerary: '', version: '' },
      session: m.session ? { id: m.session } : undefined,
      env: this.deps.runtime.env,
      principal: m.principal,
    };
  }

  /** Options of a step without a run-time resolver: validated once (at load) and filled with defaults once. */
  private readonly staticParams = new WeakMap<StepDefinition, Record<string, unknown>>();

  private paramsFor(step: StepDefinition, index: number, service: StepService, resolved: Record<string, unknown> | undefined): Record<string, unknown> {
    if (!resolved) {
      let cached = this.staticParams.get(step);
      if (!cached) {
        cached = this.checkParams(step, index, service, { ...(step.options ?? {}) });
        this.staticParams.set(step, cached);
      }
      // A shallow copy: a step that changes its params cannot change them for the next message.
      return { ...cached };
    }
    // A resolver that returns a frozen object (a policy's own params) returns the same one
    // for the same decision: checked once per step and decision, like static options.
    if (Object.isFrozen(resolved)) {
      let byDecision = this.decidedParams.get(step);
      if (!byDecision) {
        byDecision = new WeakMap();
        this.decidedParams.set(step, byDecision);
      }
      let cached = byDecision.get(resolved);
      if (!cached) {
        cached = this.checkParams(step, index, service, { ...(step.options ?? {}), ...resolved });
        byDecision.set(resolved, cached);
      }
      return { ...cached };
    }
    return this.checkParams(step, index, service, { ...(step.options ?? {}), ...resolved });
  }

  /** Checked params of a step for each frozen params object its resolver returned. */
  private readonly decidedParams = new WeakMap<StepDefinition, WeakMap<object, Record<string, unknown>>>();

  private checkParams(step: StepDefinition, index: number, service: StepService, merged: Record<string, unknown>): Record<string, unknown> {
    const checked = applySpec(service.spec, merged, { pointer: joinPointer('steps', index, 'options'), what: `service "${step.service}"` });
    if (checked.errors.length) {
      throw new ItineraError('STEP_PARAMS_INVALID', `step "${step.id}" got invalid parameters from its resolver:\n${formatDetails(checked.errors)}`, {
        details: checked.errors,
      });
    }
    return checked.value as Record<string, unknown>;
  }

  /** Record a step's entry on the envelope, its span and the observer; the step's last entry ends its span. */
  private record(span: Span, envelope: Envelope, entry: TraceEntry, extra?: { before?: unknown; after?: unknown }): void {
    envelope.trace.push(entry);
    recordStepEntry(span, entry);
    // Read before end: an ended span no longer records, and its id goes on the line only while it does.
    const observer = this.deps.observer;
    const ids = observer?.step ? spanIdsOf(span) : undefined;
    if (entry.outcome !== 'retried') span.end();
    if (!observer?.step) return;
    // A message without a trace has no ids to put on the line.
    observer.step(envelope, entry, ids ? { ...extra, span: ids } : (extra ?? NO_EXTRA));
  }

  /** One span per step (retries included), active while the step runs: a send passes it downstream. */
  private runStep(
    envelope: Envelope,
    def: ItineraryDefinition,
    step: StepDefinition,
    index: number,
    state: SessionStateHandle,
    deliveryAttempt: number,
    parent: Context,
    defer: boolean,
  ): Promise<StepEnd> {
    const active = startStepSpan(parent, envelope, step, step.stage ?? 'send', index);
    // Without a recording span the context stays the parent's: nothing to switch to.
    if (active.ctx === parent) return this.runStepIn(envelope, def, step, index, state, deliveryAttempt, active, defer);
    return withSpanContext(active.ctx, () => this.runStepIn(envelope, def, step, index, state, deliveryAttempt, active, defer));
  }

  private async runStepIn(
    envelope: Envelope,
    def: ItineraryDefinition,
    step: StepDefinition,
    index: number,
    state: SessionStateHandle,
    deliveryAttempt: number,
    active: ActiveSpan,
    defer: boolean,
  ): Promise<StepEnd> {
    const { runtime, services, resolvers } = this.deps;
    const service = services.get(step.service);
    const stage = step.stage ?? 'send';
    const start = isoNow();
    if (!service) {
      const error = new ItineraError('UNKNOWN_SERVICE', `step "${step.id}" names the service "${step.service}", which is not registered`);
      this.record(active.span, envelope, traceEntry(step, stage, start, runtime.node, 0, 'faulted', deliveryAttempt, undefined, error.toJSON()));
      return { outcome: 'faulted', error, attempts: 1 };
    }
    const policy = step.retry ?? NO_RETRY;
    const maxAttempts = Math.max(1, policy.attempts);
    const dynamic = step.resolver !== undefined && step.resolver.type !== 'static';
    // Attempts a deferred retry made before this run: its trailing `retried` entries.
    let attempt = defer ? retriedBefore(envelope, step) : 0;
    let decision: ResolverDecision | undefined;
    // Trace detail (ITINERA_TRACE_DETAIL): off on the hot path unless asked for.
    const detail = runtime.traceDetail === true;
    let rules: RuleTrace[] | undefined;
    for (;;) {
      attempt++;
      const t0 = performance.now();
      const attemptNo = deliveryAttempt > 1 ? deliveryAttempt : attempt;
      let before: unknown;
      try {
        if (state.sessionId) {
          await state.load();
          if (state.wasApplied(makeStepId(envelope.id, index, step.id))) {
            // At-least-once delivery: this step's state write landed before the worker stopped.
            const skipped = traceEntry(step, stage, start, runtime.node, elapsed(t0), 'skipped', attemptNo, undefined, undefined);
            skipped.note = 'already applied before a redelivery';
            if (detail) skipped.reason = skipped.note;
            this.record(active.span, envelope, skipped);
            return { outcome: 'skipped' };
          }
        }
        if (step.when !== undefined || dynamic) {
          const facts = this.facts(envelope, state.get());
          if (step.when !== undefined && !(await runtime.expressions.evaluate(step.when, facts))) {
            const skipped = traceEntry(step, stage, start, runtime.node, elapsed(t0), 'skipped', attemptNo, undefined, undefined);
            if (detail) skipped.reason = `"when" is false: ${step.when}`;
            this.record(active.span, envelope, skipped);
            return { outcome: 'skipped' };
          }
          if (step.resolver) decision = (await resolvers.resolve(step.resolver, facts)).decision;
          if (detail && decision && resolvers.explain) rules = resolvers.explain(decision, facts);
        } else if (step.resolver) {
          decision = (await resolvers.resolve(step.resolver, EMPTY_FACTS)).decision;
        }
        const params = this.paramsFor(step, index, service, dynamic ? (decision?.params ?? {}) : staticResolverParams(step));
        const ctx = new RunContext(this, envelope, step, index, stage, attemptNo, params, decision, state, runtime, active.span);
        if (step.service === 'transform' && (detail || runtime.logger.isLevelEnabled?.('debug'))) before = envelope.body;
        const result: StepResult | void = await service.run(ctx);
        if (result && result.outcome === 'faulted') throw result.error;
        if (state.dirty) await state.flush(makeStepId(envelope.id, index, step.id));
        const outcome = result?.outcome === 'terminated' ? 'terminated' : 'completed';
        const done = traceEntry(step, stage, start, runtime.node, elapsed(t0), outcome, attemptNo, step.resolver ? decision : undefined, undefined);
        if (detail) withDetail(done, rules, before, envelope.body, step);
        this.record(active.span, envelope, done, before !== undefined ? { before, after: envelope.body } : undefined);
        if (step.track && this.deps.activity) await this.deps.activity.completed(envelope, step, this.facts(envelope, state.get()), decision);
        return { outcome };
      } catch (err) {
        state.discard();
        const thrown = toItineraError(err, 'STEP_FAILED');
        const resolver = step.resolver ? decision : undefined;
        if (thrown.transient && attempt < maxAttempts) {
          const failure = { code: thrown.code, message: thrown.message };
          const retried = traceEntry(step, stage, start, runtime.node, elapsed(t0), 'retried', attemptNo, resolver, failure);
          if (rules) retried.rules = rules;
          this.record(active.span, envelope, retried);
          const backoff = Math.min((policy.backoffMs ?? 100) * Math.pow(policy.factor ?? 2, attempt - 1), policy.maxBackoffMs ?? 30_000);
          // The span stays open for the retry only when it runs here; a deferred retry is a new delivery with its own.
          if (defer) {
            active.span.end();
            return { outcome: 'deferred', delayMs: backoff };
          }
          await sleep(backoff);
          continue;
        }
        // A transient error's own text may promise a retry; the fault must say there is none left.
        const error = thrown.transient ? retriesExhausted(thrown, attempt) : thrown;
        const failure = { code: error.code, message: error.message };
        const faulted = traceEntry(step, stage, start, runtime.node, elapsed(t0), 'faulted', attemptNo, resolver, failure);
        if (rules) faulted.rules = rules;
        this.record(active.span, envelope, faulted);
        return { outcome: 'faulted', error, attempts: attempt };
      }
    }
  }
}

/**
 * One trace entry, always built with the same fields in the same order (one object
 * shape for every step); the optional ones are set only when present, as before.
 */
function traceEntry(
  step: StepDefinition,
  stage: Stage,
  start: string,
  node: string | undefined,
  durationMs: number,
  outcome: TraceEntry['outcome'],
  attempt: number,
  resolver: ResolverDecision | undefined,
  error: { code: string; message: string } | undefined,
): TraceEntry {
  const entry: TraceEntry = { step: step.id, service: step.service, stage, start, node, durationMs, outcome, attempt };
  // Decisions show in records and logs: credentials and secret parameters in endpoints are masked there.
  if (resolver) entry.resolver = redactDecision(step, resolver);
  if (error) entry.error = { code: error.code, message: redactText(error.message) };
  return entry;
}

/** Trace detail of a completed step: its rules, and a transform's body before and after (bounded, masked). */
function withDetail(entry: TraceEntry, rules: RuleTrace[] | undefined, before: unknown, after: unknown, step: StepDefinition): void {
  if (rules) entry.rules = rules;
  if (step.service !== 'transform' || before === undefined) return;
  entry.bodyBefore = boundedBody(before);
  entry.bodyAfter = boundedBody(after);
}

/**
 * A decision with its secrets masked, marked so the log line does not mask it again.
 * Registry params are deep-frozen and redacted once per object (see `redactSecrets`); a static
 * decision carries a copy of the step's frozen params, so the frozen original is redacted instead.
 */
function redactDecision(step: StepDefinition, decision: ResolverDecision): ResolverDecision {
  const frozen = decision.type === 'static' ? staticResolverParams(step) : undefined;
  return markRedacted(redactSecrets(frozen ? { ...decision, params: frozen } : decision));
}

/** What a step service gets: a class, so no closures are made per step. */
class RunContext implements StepContext {
  constructor(
    private readonly runner: ItineraryRunner,
    readonly envelope: Envelope,
    readonly step: StepDefinition,
    readonly stepIndex: number,
    readonly stage: Stage,
    readonly attempt: number,
    readonly params: Record<string, unknown>,
    readonly decision: ResolverDecision | undefined,
    readonly state: SessionStateHandle,
    readonly runtime: StepRuntime,
    private readonly span: Span,
  ) {}

  get stepId(): string {
    return makeStepId(this.envelope.id, this.stepIndex, this.step.id);
  }

  get traceContext() {
    return traceContextOf(this.span);
  }

  facts(): Facts {
    return this.runner.facts(this.envelope, this.state.get());
  }
}

const NO_EXTRA = {};
const NO_RETRY: RetryPolicy = { attempts: 1 };
/** A static resolver's params need no facts. */
const EMPTY_FACTS = {} as Facts;

/** Params of a `static` resolver (merged over the options like any resolver's), or undefined without one. */
function staticResolverParams(step: StepDefinition): Record<string, unknown> | undefined {
  return step.resolver?.type === 'static' && step.resolver.params ? step.resolver.params : undefined;
}

/** How many `retried` entries of `step` end the trace: the attempts its deferred retries made so far. */
function retriedBefore(envelope: Envelope, step: StepDefinition): number {
  let n = 0;
  for (let i = envelope.trace.length - 1; i >= 0; i--) {
    const entry = envelope.trace[i]!;
    if (entry.step !== step.id || entry.outcome !== 'retried') break;
    n++;
  }
  return n;
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) * 1000) / 1000;

export const slipKey = (envelope: Envelope) => itineraryKey(envelope.itinerary.name, envelope.itinerary.version);
