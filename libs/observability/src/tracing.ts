import {
  context,
  createTraceState,
  INVALID_SPAN_CONTEXT,
  INVALID_TRACEID,
  isValidSpanId,
  isValidTraceId,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import type { Envelope, ResolverDecision, TraceContext, TraceEntry, Transport } from '@itinera/core';

/**
 * OpenTelemetry spans through `@opentelemetry/api` alone: a no-op until the application
 * registers an SDK. Without one, the API's non-recording spans carry the incoming
 * `traceparent` through unchanged, so a caller's trace still reaches the send adapters.
 */
const tracer = trace.getTracer('itinera');

/** Version 00: `00-<trace id>-<parent id>-<flags>`; later versions may append fields (W3C: parse the first four). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** Longest tracestate taken (W3C asks vendors to propagate at least 512 characters). */
export const MAX_TRACESTATE_CHARS = 512;
/** Longest JSON of a resolver's params put on a span. */
const MAX_PARAMS_CHARS = 2048;

/**
 * A span that belongs to a trace. Cheaper than the API's isSpanContextValid (two regular
 * expressions) on the hot path: every span context met here is either checked at the edge
 * or made by the SDK, and the API's invalid one has the all-zero trace id.
 */
const inTrace = (sc: SpanContext | undefined): sc is SpanContext => sc !== undefined && sc.traceId !== INVALID_TRACEID;

/** The span context a W3C traceparent names, or undefined when it is not a valid one. */
export function parseTraceparent(value: unknown, tracestate?: string): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  const m = TRACEPARENT.exec(value);
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  if (!isValidTraceId(m[2]) || !isValidSpanId(m[3])) return undefined;
  const sc: SpanContext = { traceId: m[2], spanId: m[3], traceFlags: parseInt(m[4], 16), isRemote: true };
  if (tracestate) sc.traceState = createTraceState(tracestate);
  return sc;
}

/**
 * What an on-ramp keeps of an incoming `traceparent`/`tracestate` (header or job field): the
 * traceparent as version 00, or nothing when it is invalid (W3C: then a new trace starts).
 * A repeated tracestate header arrives as an array: its members join with commas.
 */
export function traceContextFrom(traceparent: unknown, tracestate?: unknown): TraceContext | undefined {
  const sc = parseTraceparent(traceparent);
  if (!sc) return undefined;
  const tc: TraceContext = { traceparent: formatTraceparent(sc) };
  const state = Array.isArray(tracestate) ? tracestate.filter((s) => typeof s === 'string').join(',') : tracestate;
  if (typeof state === 'string' && state.length > 0 && state.length <= MAX_TRACESTATE_CHARS) tc.tracestate = state;
  return tc;
}

function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The trace context to pass on for a span (its own id as the parent), or undefined when there is no trace. */
export function traceContextOf(span: Span | undefined): TraceContext | undefined {
  const sc = span?.spanContext();
  if (!inTrace(sc)) return undefined;
  const tc: TraceContext = { traceparent: formatTraceparent(sc) };
  const state = sc.traceState?.serialize();
  if (state) tc.tracestate = state;
  return tc;
}

/**
 * A context whose parent is the carried trace context: through the registered propagator,
 * else (no SDK) as the API's non-recording span, so the parent is forwarded as it came.
 */
export function remoteContext(tc: TraceContext | undefined): Context {
  if (!tc) return ROOT_CONTEXT;
  const extracted = propagation.extract(ROOT_CONTEXT, tc);
  if (inTrace(trace.getSpanContext(extracted))) return extracted;
  const sc = parseTraceparent(tc.traceparent, tc.tracestate);
  return sc ? trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(sc)) : ROOT_CONTEXT;
}

/**
 * Parent of an on-ramp's message span: the incoming trace context; or the active span when
 * one of the same trace is active (an HTTP instrumentation's server span) or none came in.
 */
function onRampParent(tc: TraceContext | undefined): Context {
  const active = context.active();
  const sc = trace.getSpanContext(active);
  if (inTrace(sc) && (!tc || tc.traceparent.slice(3, 35) === sc.traceId)) return active;
  return remoteContext(tc);
}

/** A span with the context it runs in: pass `ctx` to `context.with` and to the spans below it. */
export interface ActiveSpan {
  span: Span;
  ctx: Context;
}

/** The API's span outside any trace, shared: ending or annotating it does nothing. */
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const SERVER = { kind: SpanKind.SERVER };
const CONSUMER = { kind: SpanKind.CONSUMER };
const INTERNAL = { kind: SpanKind.INTERNAL };

/**
 * Attributes are set once the span is known to record: without an SDK a span costs no
 * attribute objects, and its context is the parent's (no context is copied).
 */
function started(name: string, options: typeof SERVER, parent: Context): ActiveSpan {
  const span = tracer.startSpan(name, options, parent);
  const sc = span.spanContext();
  const same = !span.isRecording() && (!inTrace(sc) || sc === trace.getSpanContext(parent));
  return { span, ctx: same ? parent : trace.setSpan(parent, span) };
}

/** The on-ramp's span of one message (named once its itinerary is known: `describeMessage`). */
export function startOnRampSpan(transport: Transport, tc: TraceContext | undefined): ActiveSpan {
  const active = started('itinera.message', transport === 'queue' ? CONSUMER : SERVER, onRampParent(tc));
  if (active.span.isRecording()) active.span.setAttribute('itinera.transport', transport);
  return active;
}

/** A worker's span of one delivery of a published message, child of what the envelope carries. */
export function startWorkerSpan(envelope: Envelope, queue: string, attempt: number): ActiveSpan {
  const active = started(`itinera.message ${envelope.itinerary.name}`, CONSUMER, remoteContext(envelope.traceContext));
  if (active.span.isRecording()) {
    active.span.setAttributes({ 'itinera.queue': queue, 'itinera.delivery.attempt': attempt });
    describeMessage(active.span, envelope);
  }
  return active;
}

/** Name a message span after its itinerary and say which message it is. */
export function describeMessage(span: Span, envelope: Envelope): void {
  if (!span.isRecording()) return;
  span.updateName(`itinera.message ${envelope.itinerary.name}`);
  const attrs: Attributes = {
    'itinera.message.id': envelope.id,
    'itinera.correlation_id': envelope.correlationId,
    'itinera.itinerary': envelope.itinerary.name,
    'itinera.itinerary.version': envelope.itinerary.version,
  };
  if (envelope.action !== undefined) attrs['itinera.action'] = envelope.action;
  span.setAttributes(attrs);
}

/** One step's span (retries run in place are events on it; a worker's retry waits in the box and gets a span per delivery). */
export function startStepSpan(parent: Context, envelope: Envelope, step: { id: string; service: string }, stage: string, index: number): ActiveSpan {
  // A message span outside any trace means no SDK and no caller's trace: its steps have none either.
  if (!inTrace(trace.getSpanContext(parent))) return { span: NO_SPAN, ctx: parent };
  const active = started(`itinera.step ${step.id}`, INTERNAL, parent);
  if (active.span.isRecording()) {
    active.span.setAttributes({
      'itinera.message.id': envelope.id,
      'itinera.itinerary': envelope.itinerary.name,
      'itinera.step.id': step.id,
      'itinera.step.service': step.service,
      'itinera.step.stage': stage,
      'itinera.step.index': index,
    });
  }
  return active;
}

/** What a trace entry says, on the step's span: outcome, attempt, the resolver's decision, the error. */
export function recordStepEntry(span: Span, entry: TraceEntry): void {
  if (!span.isRecording()) return;
  span.setAttributes({ 'itinera.step.outcome': entry.outcome, 'itinera.step.attempt': entry.attempt });
  if (entry.note) span.setAttribute('itinera.step.note', entry.note);
  if (entry.resolver) span.setAttributes(decisionAttributes('itinera.resolver', entry.resolver));
  if (entry.error) {
    // The entry's error is already masked; no stack goes out (it may hold what masking removed).
    span.recordException({ name: 'ItineraError', code: entry.error.code, message: entry.error.message });
    if (entry.outcome === 'retried') span.addEvent('itinera.step.retry', { 'itinera.step.attempt': entry.attempt, 'itinera.error.code': entry.error.code });
  }
  if (entry.outcome === 'faulted')
    span.setStatus({ code: SpanStatusCode.ERROR, message: entry.error ? `${entry.error.code}: ${entry.error.message}` : 'faulted' });
}

/** A resolver's (or the selector's) decision as span attributes: which rules fired and the values chosen. */
export function decisionAttributes(prefix: string, d: ResolverDecision): Attributes {
  const attrs: Attributes = { [`${prefix}.type`]: d.type };
  if (d.source) attrs[`${prefix}.source`] = d.source;
  if (d.fired) attrs[`${prefix}.fired`] = d.fired;
  if (d.winner) attrs[`${prefix}.winner`] = d.winner;
  if (d.defaults) attrs[`${prefix}.defaults`] = true;
  if (d.params) {
    const json = JSON.stringify(d.params);
    attrs[`${prefix}.params`] = json.length > MAX_PARAMS_CHARS ? `${json.slice(0, MAX_PARAMS_CHARS)}…` : json;
    // Plain values one by one, so a backend can filter on them (e.g. itinera.resolver.param.adapter = "queue").
    let n = 0;
    for (const [k, v] of Object.entries(d.params)) {
      if (n++ >= 20) break;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[`${prefix}.param.${k}`] = v;
    }
  }
  return attrs;
}

/** End a message span: ERROR with the code when the message failed or was refused. */
export function endMessageSpan(span: Span, error?: { code: string; message: string }): void {
  if (error && span.isRecording()) {
    span.setAttribute('itinera.error.code', error.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.code}: ${error.message}` });
  }
  span.end();
}

/**
 * What a send adapter passes downstream: the sending step's span, else the active span,
 * else the parent the envelope carries. Downstream sees the same trace id either way.
 */
export function outgoingTraceContext(message: { traceContext?: TraceContext; envelope: Envelope }): TraceContext | undefined {
  return message.traceContext ?? traceContextOf(trace.getSpan(context.active())) ?? message.envelope.traceContext;
}

/** Trace and span ids for log lines: `trace_id`, plus `span_id` only of a span that records. */
export interface SpanIds {
  traceId: string;
  spanId?: string;
}

/**
 * A span's ids when it belongs to a trace (for its log lines), else undefined. A span that
 * does not record (no SDK) carries its parent's context: that id is the caller's span, not
 * this one, so only the trace id is given.
 */
export function spanIdsOf(span: Span): SpanIds | undefined {
  const sc = span.spanContext();
  if (!inTrace(sc)) return undefined;
  return span.isRecording() ? { traceId: sc.traceId, spanId: sc.spanId } : { traceId: sc.traceId };
}

const NO_FIELDS: Record<string, string> = {};

/**
 * pino `mixin`: the active span's ids on every line written inside a message's work (the
 * SDK's context manager knows which; without an SDK there is no active span). A span that
 * does not record gives its trace id only (its span id would be the caller's).
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!inTrace(sc)) return NO_FIELDS;
  return span!.isRecording() ? { trace_id: sc.traceId, span_id: sc.spanId } : { trace_id: sc.traceId };
}

/**
 * pino `mixinMergeStrategy`: the active span's ids win over ids a line names itself
 * (a line names the message's trace id, its best guess without an SDK).
 */
export function mergeTraceLogFields(line: object, fields: object): object {
  return (fields as { trace_id?: string }).trace_id === undefined ? line : Object.assign({}, line, fields);
}

/** Run `fn` with `ctx` active (for user steps, instrumentations and log lines). */
export function withSpanContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}
