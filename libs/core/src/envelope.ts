import type { Principal } from './principal';
/**
 * The envelope: one message in flight. It carries its routing slip (itinerary
 * name@version plus a cursor), never the steps themselves: every deployed version
 * stays in the registry, so the slip stays small on the wire and the message stays
 * pinned to the version it started with.
 */
export type Stage = 'receive' | 'send';

/** How a message came in: a built-in on-ramp, or an application's own on-ramp by its name. */
export type Transport = 'http' | 'ws' | 'poll' | 'tcp' | 'queue' | 'internal' | (string & {});

export interface ItinerarySlip {
  name: string;
  version: string;
  /** Index of the next step to run. */
  cursor: number;
}

export interface Origin {
  /** Duplex session whose callbacks this message produces. */
  session?: string;
  /** The client's own id for the message (the `id` of a duplex `send` frame). */
  clientMessageId?: string;
  transport: Transport;
  /** Queue name for a queue on-ramp. */
  queue?: string;
}

export type StepOutcome = 'completed' | 'skipped' | 'faulted' | 'retried' | 'terminated';

export interface TraceEntry {
  step: string;
  service: string;
  stage: Stage;
  /** ISO timestamp when the step started. */
  start: string;
  durationMs: number;
  outcome: StepOutcome;
  attempt: number;
  /** What the resolver decided (policy@version, rules fired, the parameters). */
  resolver?: ResolverDecision;
  error?: { code: string; message: string };
  /** Worker/gateway node that ran the step. */
  node?: string;
  /** Why the outcome is what it is, when it is not obvious (e.g. a redelivered step already applied). */
  note?: string;
  /** Trace detail (ITINERA_TRACE_DETAIL): why a skipped step was skipped. */
  reason?: string;
  /** Trace detail: each rule of a rules resolver's policy, whether it fired and the facts its conditions read. */
  rules?: RuleTrace[];
  /** Trace detail: a transform's body before and after it ran (secrets masked, bounded). */
  bodyBefore?: BoundedBody;
  bodyAfter?: BoundedBody;
}

/** One rule as a message met it: fired or not, and the facts (`body.total`, `action`, …) its conditions read. */
export interface RuleTrace {
  rule: string;
  fired: boolean;
  facts: Record<string, unknown>;
}

/**
 * A body kept in a trace: whole (`value`) up to the bound, past it the first bytes of its
 * JSON (`text`) and `truncated: true`. `bytes`: the size of the whole JSON.
 */
export type BoundedBody = { truncated: false; bytes: number; value: unknown } | { truncated: true; bytes: number; text: string };

export interface ResolverDecision {
  type: 'static' | 'rules' | 'expression';
  /** `policy@version` for rules, the expression's source name for expression. */
  source?: string;
  /** Names of the rules that fired. */
  fired?: string[];
  /** The rule whose params applied (a policy in `first` mode). */
  winner?: string;
  /** No rule fired: the policy's `defaults` applied. */
  defaults?: true;
  params?: Record<string, unknown>;
}

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): the parent span of the
 * message's next span, checked at the on-ramp and kept through every hop.
 */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>` */
  traceparent: string;
  tracestate?: string;
}

export interface Envelope {
  id: string;
  correlationId: string;
  action?: string;
  body: unknown;
  /** Selected inbound headers (lower-case names), readable by rules and maps. */
  headers: Record<string, string>;
  /** Named properties (like BizTalk's promoted properties). */
  context: Record<string, unknown>;
  itinerary: ItinerarySlip;
  origin: Origin;
  trace: TraceEntry[];
  createdAt: string;
  idempotencyKey?: string;
  /** Who sent it (set by the on-ramp after authentication). */
  principal?: Principal;
  /** OpenTelemetry parent of the next hop's spans (absent: the message started no trace). */
  traceContext?: TraceContext;
}

export type MessageStatus = 'accepted' | 'running' | 'completed' | 'faulted';
