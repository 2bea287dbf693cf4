import type { Principal } from './principal';
import type { Envelope, ResolverDecision, Stage, TraceContext } from './envelope';
import type { ErrorDetail, ItineraError } from './errors';
import type { Endpoint, StepDefinition } from './itinerary';
import type { ConfigSpec } from './spec';
import type { SessionStore } from './session';
import type { MessageBox } from './message-box';
import type { Logger } from './logger';

/** What JSONata maps, `when` conditions and rules see. */
export interface Facts {
  body: unknown;
  action?: string;
  headers: Record<string, string>;
  context: Record<string, unknown>;
  /** The originating session's per-session state (PerSession instance mode). */
  state: Record<string, unknown>;
  message: { id: string; correlationId: string; itinerary: string; version: string };
  session?: { id: string };
  /** Environment variables the operator exposed to rules and maps (ITINERA_ENV_FACTS). */
  env: Record<string, string>;
  /** Who sent the message (`{ id, kind, name, permissions }`); `anonymous` when auth is off and no credential was given. */
  principal?: Principal;
}

/** The result value of a step (MassTransit Courier style): no exceptions for outcomes. */
export type StepResult =
  | { outcome: 'completed' }
  | { outcome: 'faulted'; error: ItineraError }
  /** Stop the itinerary here, successfully. */
  | { outcome: 'terminated' };

/** Evaluates JSONata with guardrails; compiled expressions are cached. */
export interface Expressions {
  /** Evaluate a named map from `maps/` (latest version when omitted). */
  map(name: string, version: string | undefined, input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
  /** Evaluate an inline expression (compiled once per distinct source). */
  evaluate(source: string, input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
}

export interface Schemas {
  /** Validate `data` against a named schema from `schemas/` or an inline schema. */
  validate(schema: string | Record<string, unknown>, data: unknown): ErrorDetail[];
}

export interface SendOutcome {
  status?: number;
  body?: unknown;
}

export interface Adapters {
  send(endpoint: Endpoint, message: OutboundMessage): Promise<SendOutcome>;
  /**
   * Validate an endpoint without sending (the `route` step, the loader): returns it
   * normalized (address expanded, config as typed options). Throws ItineraError
   * ENDPOINT_INVALID or ADDRESS_NOT_ALLOWED. Optional: runtimes without it skip the early check.
   */
  resolve?(endpoint: Endpoint, pointer?: string): Endpoint;
}

export interface OutboundMessage {
  body: unknown;
  headers: Record<string, string>;
  /** Deterministic per message and step: downstream systems use it to detect retries. */
  idempotencyKey: string;
  envelope: Envelope;
  /** Id of the sending step (log lines). */
  step?: string;
  /** W3C trace context of the sending step's span: adapters pass it downstream (`traceparent`). */
  traceContext?: TraceContext;
}

/** Where request-response replies go: the waiting on-ramp caller, wherever it is. */
export interface ReplySink {
  reply(envelope: Envelope, body: unknown): Promise<void>;
}

/** A user's TypeScript step, registered under a name and called by the `invoke` service. */
export interface InvokeHandler {
  run(ctx: StepContext): Promise<StepResult | void> | StepResult | void;
}

export interface StepRuntime {
  expressions: Expressions;
  schemas: Schemas;
  adapters: Adapters;
  sessions: SessionStore;
  box: MessageBox;
  replies: ReplySink;
  invokables: ReadonlyMap<string, InvokeHandler>;
  logger: Logger;
  /** Name of this process's node, for traces. */
  node: string;
  /** Outbox limit and overflow policy for callback pushes. */
  callbackDefaults: import('./session').PushOptions;
  /** Environment variables exposed as the `env` fact. */
  env: Record<string, string>;
  /** Record trace detail (skip reasons, rule facts, transform bodies) for the operator console (ITINERA_TRACE_DETAIL). */
  traceDetail?: boolean;
}

export interface StepContext<P = Record<string, unknown>> {
  envelope: Envelope;
  step: StepDefinition;
  stepIndex: number;
  /** Deterministic id of this step for this message (same on every retry). */
  stepId: string;
  stage: Stage;
  attempt: number;
  /** Options merged with what the resolver decided, validated against the spec. */
  params: P;
  decision?: ResolverDecision;
  /** Current facts (rebuilt after each change). */
  facts(): Facts;
  /** Per-session state of the originating session (empty object without one). */
  state: SessionState;
  runtime: StepRuntime;
  /** W3C trace context of this step's span (absent without a trace): what a step passes downstream. */
  readonly traceContext?: TraceContext;
}

export interface SessionState {
  readonly sessionId?: string;
  get(): Record<string, unknown>;
  /** Replace the state; persisted when the step completes. */
  set(next: Record<string, unknown>): void;
}

export interface StepService<P = Record<string, unknown>> {
  name: string;
  summary: string;
  spec: ConfigSpec;
  /** Stages the service may run in (default both). */
  stages?: Stage[];
  /** Extra load-time checks (a map or policy that must exist, …). */
  check?(options: Record<string, unknown>, ctx: LoadCheckContext): ErrorDetail[];
  run(ctx: StepContext<P>): Promise<StepResult | void> | StepResult | void;
}

export interface LoadCheckContext {
  pointer: string;
  file: string;
  hasMap(name: string, version?: string): boolean;
  hasPolicy(name: string, version?: string): boolean;
  hasSchema(name: string): boolean;
  hasInvokable(name: string): boolean;
  hasAdapter(name: string): boolean;
  /** Compile-check a JSONata expression; returns an error message or undefined. */
  checkExpression(source: string): string | undefined;
  /** Check an endpoint's config against its adapter's spec (and a literal address); absent where adapters are not known. */
  checkEndpoint?(endpoint: { adapter?: unknown; address?: unknown; config?: unknown }, pointer: string): ErrorDetail[];
}

export function defineStep<P = Record<string, unknown>>(service: StepService<P>): StepService<P> {
  return service;
}
