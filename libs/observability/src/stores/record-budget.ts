import type { FaultRecord, MessageRecord, TraceEntry } from '@itinera/core';
import type { MessagePatch } from './record-patch';

/** What stands in for a part left out of a record or fault: how big it was. */
export interface TruncatedMarker {
  truncated: true;
  bytes: number;
}

/**
 * As large as the largest body and downstream answer taken by default: a request-response
 * reply that a gateway in another process reads from the record arrives whole.
 */
export const DEFAULT_RECORD_MAX_BYTES = 1024 * 1024;
export const DEFAULT_FAULT_MAX_BYTES = 1024 * 1024;

/** Error messages longer than this are cut (the code stays). */
const MAX_ERROR_MESSAGE = 2000;

export const marker = (bytes: number): TruncatedMarker => ({ truncated: true, bytes });

const bytesOf = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

/**
 * Whether `text` may pass `maxBytes`: cheap for the common small document (a UTF-16
 * unit is at most 3 bytes of UTF-8), exact otherwise.
 */
export function overBudget(text: string, maxBytes: number): boolean {
  return text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes;
}

const cutMessage = <T extends { message: string }>(e: T): T =>
  e.message.length > MAX_ERROR_MESSAGE ? { ...e, message: `${e.message.slice(0, MAX_ERROR_MESSAGE)}… (${e.message.length} characters)` } : e;

/** Replace the largest values of `obj` by markers until `fits` says so; returns the keys replaced. */
function shrinkObject(obj: Record<string, unknown>, fits: () => boolean): string[] {
  const replaced: string[] = [];
  const sizes = Object.entries(obj)
    .map(([k, v]) => [k, bytesOf(v)] as const)
    .sort((a, b) => b[1] - a[1]);
  for (const [k, bytes] of sizes) {
    if (fits() || bytes < 64) break;
    obj[k] = marker(bytes);
    replaced.push(k);
  }
  return replaced;
}

/** Trace entries within budget: resolver params and long error messages go first, then the oldest entries. */
function shrinkTrace(trace: TraceEntry[], fitsWith: (t: TraceEntry[]) => boolean): TraceEntry[] {
  let out = trace.map((e) => {
    const params = e.resolver?.params;
    const slim: TraceEntry = params && bytesOf(params) > 256 ? { ...e, resolver: { ...e.resolver!, params: { ...marker(bytesOf(params)) } } } : e;
    return slim.error ? { ...slim, error: cutMessage(slim.error) } : slim;
  });
  while (!fitsWith(out) && out.length > 1) out = out.slice(Math.ceil(out.length / 2));
  return out;
}

/**
 * A message record (as put) within `maxBytes`: the largest context values, then the
 * reply body, then trace details and the oldest trace entries give way to markers. The
 * record itself is always kept. (A reply replaced here reaches a gateway in another
 * process as the marker: keep the budget above the replies itineraries give.)
 */
export function capRecord(record: MessageRecord, maxBytes: number): MessageRecord {
  const out: MessageRecord = { ...record, trace: record.trace };
  const fits = (): boolean => bytesOf(out) <= maxBytes;
  if (out.error) out.error = cutMessage(out.error);
  if (!fits() && out.context) {
    out.context = { ...out.context };
    shrinkObject(out.context, fits);
  }
  if (!fits() && out.reply) out.reply = { body: marker(bytesOf(out.reply.body)) };
  if (!fits()) out.trace = shrinkTrace(out.trace, (t) => ((out.trace = t), fits()));
  return out;
}

/** An update to a record within `maxBytes`, by the same rules as `capRecord`. */
export function capUpdate(patch: MessagePatch, trace: TraceEntry[] | undefined, maxBytes: number): { patch: MessagePatch; trace?: TraceEntry[] } {
  const doc: { patch: MessagePatch; trace?: TraceEntry[] } = { patch: { ...patch }, ...(trace?.length ? { trace } : {}) };
  const fits = (): boolean => bytesOf(doc) <= maxBytes;
  const p = doc.patch;
  if (p.error) p.error = cutMessage(p.error);
  if (!fits() && p.context) {
    p.context = { ...p.context };
    shrinkObject(p.context, fits);
  }
  if (!fits() && p.reply) p.reply = { body: marker(bytesOf(p.reply.body)) };
  if (!fits() && doc.trace) doc.trace = shrinkTrace(doc.trace, (t) => ((doc.trace = t), fits()));
  return doc;
}

/**
 * A fault within `maxBytes`: the envelope's body, then its largest context values and
 * headers, then trace details give way to markers. `truncated` lists the JSON pointers
 * replaced: such a fault cannot be resubmitted as is (a repair must supply them).
 */
export function capFault(fault: FaultRecord, maxBytes: number): FaultRecord {
  const envelope = { ...fault.envelope };
  const out: FaultRecord = { ...fault, envelope, error: cutMessage(fault.error) };
  const fits = (): boolean => bytesOf(out) <= maxBytes;
  if (fits()) return out;
  const truncated: string[] = [];
  out.truncated = truncated;
  truncated.push('/envelope/body');
  envelope.body = marker(bytesOf(envelope.body));
  if (!fits() && envelope.context) {
    envelope.context = { ...envelope.context };
    for (const k of shrinkObject(envelope.context, fits)) truncated.push(`/envelope/context/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  }
  if (!fits() && envelope.headers) {
    envelope.headers = {};
    truncated.push('/envelope/headers');
  }
  if (!fits()) envelope.trace = shrinkTrace(envelope.trace, (t) => ((envelope.trace = t), fits()));
  return out;
}
