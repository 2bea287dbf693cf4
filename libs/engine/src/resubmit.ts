import {
  ItineraError,
  jsonCopy,
  itineraryKey,
  redactSecrets,
  type Envelope,
  type ErrorDetail,
  type FaultRecord,
  type FaultStore,
  type ItineraryDefinition,
  type Logger,
  type MessageBox,
  type MessageRecord,
  type MessageStore,
  type TraceEntry,
} from '@itinera/core';
import type { ItinerarySource } from './runner';

/** What an operator may change before a fault's message runs again. */
export interface FaultRepair {
  /** Replaces the envelope's body (as it was when the step failed, i.e. after receive-stage transforms). */
  body?: unknown;
  /** Merged into the envelope's context, key by key. */
  context?: Record<string, unknown>;
  /** Id of the step to restart from (a step after publication); default: the step that failed. */
  fromStep?: string;
}

export interface ResubmitDeps {
  faults: FaultStore;
  messages: MessageStore;
  box: MessageBox;
  itineraries: ItinerarySource;
  /** The work queue workers consume. */
  workQueue: string;
  /** Node name for the trace entry. */
  node?: string;
  logger?: Logger;
}

export interface Resubmitted {
  messageId: string;
  correlationId: string;
  itinerary: string;
  status: 'accepted';
  faultId: string;
  /** `<messageId>.r<n>`: the n-th resubmission of the message. */
  jobId: string;
  fromStep: string;
  /** The queue the envelope went to: the work queue, or the service queue the restart step names. */
  queue: string;
}

/** The trace entry a resubmission adds. */
export const RESUBMIT_STEP = 'resubmit';
export const RESUBMIT_SERVICE = 'faults';

const isResubmit = (e: TraceEntry) => e.step === RESUBMIT_STEP && e.service === RESUBMIT_SERVICE;

/** How many times this envelope has been resubmitted (counted from its trace, so it survives the round trip through the fault store). */
export function resubmissions(envelope: Envelope): number {
  return envelope.trace.filter(isResubmit).length;
}

/**
 * The dedupe key of a fault frame for this run of the message. Sessions drop a
 * frame whose key they have seen, so a resubmitted message that faults again
 * needs a key of its own to reach its session.
 */
export function faultFrameKey(envelope: Envelope): string {
  const n = resubmissions(envelope);
  return n ? `fault:${envelope.id}.r${n}` : `fault:${envelope.id}`;
}

const ALLOWED = ['body', 'context', 'fromStep'];

/** Check a repair document (`{ body?, context?, fromStep? }`); VALIDATION_FAILED names each problem. */
export function checkRepair(input: unknown): FaultRepair {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ItineraError('VALIDATION_FAILED', 'the repair must be a JSON object { body?, context?, fromStep? }', {
      details: [{ pointer: '', message: 'must be an object' }],
    });
  }
  const doc = input as Record<string, unknown>;
  const errors: ErrorDetail[] = [];
  for (const key of Object.keys(doc)) {
    if (!ALLOWED.includes(key)) errors.push({ pointer: `/${key}`, message: `unknown field "${key}"; a repair has: ${ALLOWED.join(', ')}` });
  }
  const ctx = doc.context;
  if (ctx !== undefined && (ctx === null || typeof ctx !== 'object' || Array.isArray(ctx)))
    errors.push({ pointer: '/context', message: 'must be an object (merged into the context)' });
  if (doc.fromStep !== undefined && (typeof doc.fromStep !== 'string' || !doc.fromStep)) errors.push({ pointer: '/fromStep', message: 'must be a step id' });
  if (errors.length) {
    throw new ItineraError('VALIDATION_FAILED', `invalid repair: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, { details: errors });
  }
  return {
    ...('body' in doc ? { body: doc.body } : {}),
    ...(ctx !== undefined ? { context: ctx as Record<string, unknown> } : {}),
    ...(doc.fromStep !== undefined ? { fromStep: doc.fromStep as string } : {}),
  };
}

const notResubmittable = (fault: FaultRecord, why: string) => new ItineraError('FAULT_NOT_RESUBMITTABLE', `fault ${fault.id} cannot be resubmitted: ${why}`);

/** The definition the fault's message is pinned to, or why there is nothing to resume. */
export function resumableDefinition(fault: FaultRecord, itineraries: ItinerarySource): ItineraryDefinition {
  const env = fault.envelope as Envelope | undefined;
  if (!env || !env.itinerary || !env.itinerary.version) {
    const queue = env?.origin?.queue;
    throw notResubmittable(
      fault,
      queue
        ? `the queue on-ramp "${queue}" refused the job before it entered an itinerary (${fault.error.code}); fix the job, publish it to "${queue}" again, then delete this fault`
        : 'it never entered an itinerary (no itinerary version in its envelope); send the message again, then delete this fault',
    );
  }
  if (env.origin?.transport === 'internal' && env.itinerary.name === 'session-outbox') {
    throw notResubmittable(
      fault,
      'it is a frame its session never acknowledged before expiring, not a message to run; read it (GET /faults/{id}), then delete it',
    );
  }
  try {
    return itineraries.itinerary(env.itinerary.name, env.itinerary.version);
  } catch {
    throw notResubmittable(
      fault,
      `its message is pinned to ${itineraryKey(env.itinerary.name, env.itinerary.version)}, which is no longer deployed; deploy that version again, or delete the fault`,
    );
  }
}

/** The step index to restart from: `fromStep`, else the step that failed, else where the envelope stopped. */
function startIndex(fault: FaultRecord, def: ItineraryDefinition, fromStep: string | undefined): number {
  const steps = def.steps;
  const sendSteps = steps.filter((s) => (s.stage ?? 'send') === 'send').map((s) => s.id);
  const key = itineraryKey(def.name, def.version);
  if (fromStep !== undefined) {
    const index = steps.findIndex((s) => s.id === fromStep);
    const problem =
      index < 0
        ? `no step "${fromStep}" in ${key}`
        : (steps[index].stage ?? 'send') !== 'send'
          ? `step "${fromStep}" of ${key} runs on the on-ramp, before publication; a worker cannot run it again`
          : undefined;
    if (problem) {
      const message = `${problem}; restart from one of: ${sendSteps.join(', ') || '(none)'}`;
      throw new ItineraError('VALIDATION_FAILED', message, { details: [{ pointer: '/fromStep', message }] });
    }
    // A hop already taken has spent its deterministic job id (`<id>.<cursor>`): publishing it again would be dropped as a duplicate.
    const reached = fault.envelope.itinerary.cursor;
    const hop = steps.findIndex((s, i) => i > index && i <= reached && s.queue);
    if (hop >= 0) {
      const message = `restarting at "${fromStep}" would repeat the hop to queue "${steps[hop].queue}" before step "${steps[hop].id}", which this message already took; restart at "${steps[hop].id}" or later`;
      throw new ItineraError('VALIDATION_FAILED', message, { details: [{ pointer: '/fromStep', message }] });
    }
    return index;
  }
  const failed = fault.step === undefined ? -1 : steps.findIndex((s) => s.id === fault.step);
  const index = failed >= 0 ? failed : fault.envelope.itinerary.cursor;
  if (index >= steps.length) throw notResubmittable(fault, `no step of ${key} is left to run; name one with fromStep (${sendSteps.join(', ')})`);
  if ((steps[index].stage ?? 'send') !== 'send') {
    throw notResubmittable(
      fault,
      `it stopped at the receive-stage step "${steps[index].id}"; name a step after publication with fromStep (${sendSteps.join(', ')})`,
    );
  }
  return index;
}

/** Parts of a fault's envelope replaced by markers (over its byte budget) that the repair does not supply. */
function unrepairedParts(fault: FaultRecord, repair: FaultRepair): string[] {
  return (fault.truncated ?? []).filter((pointer) => {
    if (pointer === '/envelope/body') return !('body' in repair);
    const key = /^\/envelope\/context\/(.+)$/.exec(pointer)?.[1]?.replace(/~1/g, '/').replace(/~0/g, '~');
    return key === undefined || !(repair.context && key in repair.context);
  });
}

function describeRepair(repair: FaultRepair): string {
  const parts: string[] = [];
  if ('body' in repair) parts.push('body replaced');
  if (repair.context) parts.push(`context merged (${Object.keys(repair.context).join(', ') || 'nothing'})`);
  return parts.length ? parts.join(', ') : 'unchanged';
}

/**
 * Run a fault's message again: the envelope (repaired) goes back on the work
 * queue from the step that failed (or `fromStep`), under a new deterministic job
 * id. The message keeps its id, correlation id, pinned itinerary version and
 * origin session, so its callbacks still reach that session. Its record goes
 * back to `accepted` with a `resubmit` trace entry, and the fault is removed.
 *
 * Steps that already pushed a callback or wrote session state for this message
 * are not applied twice: those effects are deduplicated by step id.
 */
export async function resubmitFault(deps: ResubmitDeps, faultId: string, repairInput?: FaultRepair): Promise<Resubmitted> {
  const repair = checkRepair(repairInput);
  const fault = await deps.faults.get(faultId);
  if (!fault) throw new ItineraError('FAULT_NOT_FOUND', `no fault ${faultId}: unknown, already resubmitted or deleted, or expired; list them with GET /faults`);
  const def = resumableDefinition(fault, deps.itineraries);
  const index = startIndex(fault, def, repair.fromStep);
  const missing = unrepairedParts(fault, repair);
  if (missing.length) {
    throw notResubmittable(
      fault,
      `it passed the fault byte budget (ITINERA_FAULT_MAX_BYTES), so ${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not kept; resubmit with a repair that supplies ${missing.length > 1 ? 'them' : 'it'} ({ "body": …, "context": { … } }), or delete the fault`,
    );
  }
  if (deps.box.available?.() === false) {
    throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box (Redis) is unreachable; nothing was resubmitted, retry in a moment', { transient: true });
  }

  const envelope: Envelope = jsonCopy(fault.envelope);
  if ('body' in repair) envelope.body = repair.body;
  if (repair.context) envelope.context = { ...envelope.context, ...repair.context };
  envelope.itinerary.cursor = index;
  const n = resubmissions(envelope) + 1;
  const now = new Date().toISOString();
  const fromStep = def.steps[index].id;
  const entry: TraceEntry = {
    step: RESUBMIT_STEP,
    service: RESUBMIT_SERVICE,
    stage: 'send',
    start: now,
    durationMs: 0,
    outcome: 'completed',
    attempt: n,
    ...(deps.node ? { node: deps.node } : {}),
    note: `fault ${fault.id} (${fault.error.code}${fault.step ? ` at step ${fault.step}` : ''}) resubmitted from step ${fromStep}; ${describeRepair(repair)}`,
  };
  const traceBefore = envelope.trace.slice();
  envelope.trace.push(entry);

  const itinerary = itineraryKey(envelope.itinerary.name, envelope.itinerary.version);
  const previous = await deps.messages.get(envelope.id);
  const session = envelope.origin.session;
  // A fresh record (not a patch): the error of the failed run must go, and the record may have expired before the fault.
  const record: MessageRecord = {
    messageId: envelope.id,
    correlationId: envelope.correlationId,
    itinerary,
    status: 'accepted',
    ...(envelope.action !== undefined ? { action: envelope.action } : {}),
    ...(session ? { session } : {}),
    // The owner stays: without it the record would be readable by anyone (auth off) or by no one but operators.
    ...(envelope.principal ? { principal: envelope.principal.id } : {}),
    acceptedAt: previous?.acceptedAt ?? envelope.createdAt,
    updatedAt: now,
    trace: [...(previous?.trace ?? traceBefore), entry],
    context: redactSecrets({ ...(previous?.context ?? {}), ...envelope.context }),
    ...(previous?.reply ? { reply: previous.reply } : {}),
  };
  await deps.messages.put(record);
  const jobId = `${envelope.id}.r${n}`;
  // A step that names a service queue runs on that queue's workers: deliver it there, as its hop would have.
  const queue = def.steps[index].queue ?? deps.workQueue;
  try {
    await deps.box.publish(queue, envelope, { jobId, ...(session ? { orderingKey: session } : {}) });
  } catch (err) {
    if (previous) await deps.messages.put(previous).catch(() => undefined);
    throw err instanceof ItineraError
      ? err
      : new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box is unreachable; nothing was resubmitted, retry later', { transient: true, cause: err });
  }
  await deps.faults.remove(fault.id);
  deps.logger?.info(
    { messageId: envelope.id, correlationId: envelope.correlationId, itinerary, fault: fault.id, fromStep, queue, jobId, repaired: describeRepair(repair) },
    'fault resubmitted',
  );
  return { messageId: envelope.id, correlationId: envelope.correlationId, itinerary, status: 'accepted', faultId: fault.id, jobId, fromStep, queue };
}
