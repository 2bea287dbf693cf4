import { createHash } from 'node:crypto';
import {
  ItineraError,
  isoNow,
  itineraryKey,
  newId,
  redactSecrets,
  type Accepted,
  type Envelope,
  type IdempotencyStore,
  pointerToken,
  previewKey,
  type InboundMessage,
  type ItineraryDefinition,
  type Logger,
  type MessageBox,
  type MessageRecord,
  type MessageStore,
  type OnRampGateway,
  type Schemas,
  type TraceEntry,
  messageLogFields,
} from '@itinera/core';
import type { Metrics } from '@itinera/observability';
import { decisionAttributes, describeMessage, endMessageSpan, startOnRampSpan, traceContextOf, withSpanContext, type ActiveSpan } from '@itinera/observability';
import type { ItineraryRunner, ItinerarySource } from './runner';
import type { ReplyHub } from './reply-hub';
import { checkAccess } from './access';
import { canonicalJson } from './canonical-json';

export interface GatewayDeps {
  itineraries: ItinerarySource;
  /** The itinerary selector: picks name (and version) from the message facts. */
  select(message: InboundMessage): Promise<{ name: string; version?: string; source?: string; fired?: string[]; winner?: string; defaults?: true }>;
  schemas: Schemas;
  runner: ItineraryRunner;
  box: MessageBox;
  messages: MessageStore;
  idempotency: IdempotencyStore;
  replies: ReplyHub;
  logger: Logger;
  metrics: Metrics;
  /** The work queue workers consume. */
  workQueue: string;
  idempotencyTtlMs: number;
  node: string;
}

/**
 * Deepest nesting of objects and arrays accepted in a message body (the default of
 * System.Text.Json and Json.NET). JSON.parse takes any depth, but structuredClone,
 * JSON.stringify and schema validation recurse and overflow the stack at a few
 * thousand levels: a deeper body would be a 500 (or a 503 that retries forever on
 * BullMQ) instead of a client error.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * The first place where `value` cannot travel as JSON: nested deeper than `maxDepth`,
 * or a number JSON cannot carry (`1e400` parses as Infinity, which JSONata refuses and
 * JSON.stringify turns into null). Iterative, since the input may be very deep.
 */
export function unfitJsonAt(value: unknown, maxDepth: number): { pointer: string; problem: 'depth' | 'number' } | undefined {
  // Every message passes here: a walk with two flat stacks, no object per value. The
  // pointer is worked out only on the rare failure, by a second, path-keeping walk.
  const values: unknown[] = [value];
  const depths: number[] = [0];
  let failed: 'depth' | 'number' | undefined;
  while (values.length > 0 && !failed) {
    const v = values.pop();
    const depth = depths.pop()!;
    if ((typeof v === 'number' && !Number.isFinite(v)) || typeof v === 'bigint') failed = 'number';
    else if (v !== null && typeof v === 'object') {
      if (depth >= maxDepth) failed = 'depth';
      else
        for (const key of Object.keys(v)) {
          values.push((v as Record<string, unknown>)[key]);
          depths.push(depth + 1);
        }
    }
  }
  return failed && { pointer: unfitPointer(value, maxDepth, failed) ?? '', problem: failed };
}

/**
 * The usual answer of `unfitJsonAt` (nothing unfit) in one recursive pass that allocates
 * nothing; the depth limit bounds the recursion. `for…in` visits at least the keys
 * `unfitJsonAt` visits, so `true` here means it would find nothing; on `false` it runs.
 */
export function fitsJson(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return typeof v !== 'bigint';
  if (depth >= MAX_BODY_DEPTH) return false;
  for (const key in v) if (!fitsJson((v as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function unfitPointer(value: unknown, maxDepth: number, problem: 'depth' | 'number'): string | undefined {
  type Node = { value: unknown; depth: number; key?: string; parent?: Node };
  const pointerOf = (node: Node): string => {
    const tokens: string[] = [];
    for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) tokens.push(pointerToken(n.key));
    return tokens.length ? '/' + tokens.reverse().join('/') : '';
  };
  const stack: Node[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (problem === 'number' && ((typeof v === 'number' && !Number.isFinite(v)) || typeof v === 'bigint')) return pointerOf(node);
    if (v === null || typeof v !== 'object') continue;
    if (node.depth >= maxDepth) {
      if (problem === 'depth') return pointerOf(node);
      continue;
    }
    for (const key of Object.keys(v)) stack.push({ value: (v as Record<string, unknown>)[key], depth: node.depth + 1, key, parent: node });
  }
  return undefined;
}

/**
 * Idempotency-Keys are per principal: another caller's key neither replays that caller's
 * acceptance (its message id) nor tells it the key was used. Anonymous keys stay as they were.
 */
function idempotencyStoreKey(message: InboundMessage, key: string): string {
  const p = message.principal;
  return p && p.kind !== 'anonymous' ? `${p.id}|${key}` : key;
}

/** The itinerary an on-ramp names, or the one the selector picked (with what its rules decided). */
type Selection = { name: string; version?: string; source?: string; fired?: string[]; winner?: string; defaults?: true };

/** What a reserved Idempotency-Key holds until its request is accepted (or released). */
const IN_PROGRESS = { inProgress: true } as const;
/** A reservation outlives a crashed request by this much at most. */
const RESERVATION_TTL_MS = 30_000;

/**
 * The on-ramp side of the bus: selects the itinerary, checks the action
 * contract, runs the receive-stage steps, then publishes. It resolves only once
 * the message box holds the envelope; when anything fails before that, it throws
 * and nothing was accepted.
 */
export class BusGateway implements OnRampGateway {
  private draining = false;
  /** Each accept's message span, found again where the envelope is built. */
  private readonly spans = new WeakMap<InboundMessage, ActiveSpan>();

  constructor(private readonly deps: GatewayDeps) {}

  /** Stop accepting (graceful shutdown): new messages get SHUTTING_DOWN. */
  drain(): void {
    this.draining = true;
  }

  async accept(message: InboundMessage, opts: { waitMs?: number } = {}): Promise<Accepted> {
    const active = startOnRampSpan(message.transport, message.traceContext);
    this.spans.set(message, active);
    let failure: { code: string; message: string } | undefined;
    try {
      const accepted = await withSpanContext(active.ctx, () => this.acceptOnce(message));
      const it = accepted.itinerary;
      const at = it.indexOf('@');
      this.deps.metrics.messageAccepted(at < 0 ? it : it.slice(0, at), message.transport);
      if (opts.waitMs && opts.waitMs > 0 && !accepted.reply && accepted.status !== 'completed' && accepted.status !== 'faulted') {
        const waited = await this.deps.replies.wait(accepted.messageId, opts.waitMs);
        return { ...accepted, status: waited.record?.status ?? accepted.status, ...(waited.reply ? { reply: waited.reply } : {}) };
      }
      return accepted;
    } catch (err) {
      const code = err instanceof ItineraError ? err.code : 'INTERNAL';
      failure = { code, message: err instanceof ItineraError ? err.message : 'not accepted' };
      this.deps.metrics.messageRejected(code, message.transport);
      throw err;
    } finally {
      endMessageSpan(active.span, failure);
    }
  }

  /**
   * Not an async function: a message that names its itinerary goes from the checks to the
   * receive stage without a promise of its own. It may throw; `accept` catches either way.
   */
  private acceptOnce(message: InboundMessage): Promise<Accepted> {
    const { deps } = this;
    if (this.draining) throw new ItineraError('SHUTTING_DOWN', 'this node is shutting down; retry on another node or in a moment', { transient: true });
    if (deps.box.available?.() === false) {
      throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box (Redis) is unreachable; nothing was accepted, retry in a moment', { transient: true });
    }
    this.checkJson(message);
    const selectedAt = isoNow();
    if (message.itinerary) return this.acceptAs(message, { name: message.itinerary, version: message.version }, selectedAt, 0);
    const t0 = performance.now();
    return deps.select(message).then((target) => this.acceptAs(message, target, selectedAt, t0));
  }

  private acceptAs(message: InboundMessage, target: Selection, selectedAt: string, t0: number): Promise<Accepted> {
    const def = this.deps.itineraries.itinerary(target.name, target.version);
    this.checkOnRamp(def, message);
    this.checkAccess(def, message);
    this.checkAction(def, message);
    return message.idempotencyKey
      ? this.acceptIdempotent(message, message.idempotencyKey, def, target, selectedAt, t0)
      : this.acceptReserved(message, def, undefined, target, selectedAt, t0);
  }

  private async acceptIdempotent(
    message: InboundMessage,
    key: string,
    def: ItineraryDefinition,
    target: Selection,
    selectedAt: string,
    t0: number,
  ): Promise<Accepted> {
    const hash = createHash('sha256')
      // Key order is not meaning: the same body with its keys reordered is the same request.
      .update(`${JSON.stringify([def.name, message.version ?? '', message.action ?? ''])}${canonicalJson(message.body)}`)
      .digest('base64url');
    const existing = await this.reserve(idempotencyStoreKey(message, key), hash, key);
    if (existing) return { ...existing, duplicate: true };
    try {
      return await this.acceptReserved(message, def, hash, target, selectedAt, t0);
    } catch (err) {
      // Not accepted: the key is free again for a retry (with this body or a corrected one).
      await this.deps.idempotency.release(idempotencyStoreKey(message, key)).catch(() => undefined);
      throw err;
    }
  }

  private async acceptReserved(
    message: InboundMessage,
    def: ItineraryDefinition,
    hash: string | undefined,
    target: Selection,
    selectedAt: string,
    t0: number,
  ): Promise<Accepted> {
    const { deps } = this;

    const id = newId();
    const origin: Envelope['origin'] = { transport: message.transport };
    if (message.session) origin.session = message.session;
    if (message.clientMessageId !== undefined) origin.clientMessageId = message.clientMessageId;
    if (message.queue) origin.queue = message.queue;
    const envelope: Envelope = {
      id,
      correlationId: message.correlationId || id,
      action: message.action,
      body: message.body,
      headers: message.headers,
      context: {},
      itinerary: { name: def.name, version: def.version, cursor: 0 },
      origin,
      trace: [],
      createdAt: selectedAt,
    };
    if (message.idempotencyKey) envelope.idempotencyKey = message.idempotencyKey;
    if (message.principal) envelope.principal = message.principal;
    // The next hop's spans are children of this on-ramp's span (without an SDK: of the incoming parent, unchanged).
    const active = this.spans.get(message);
    const traceContext = traceContextOf(active?.span) ?? message.traceContext;
    if (traceContext) envelope.traceContext = traceContext;
    if (active) describeMessage(active.span, envelope);

    if (target.source) {
      // The itinerary selector's decision is the first entry of the trace.
      envelope.trace.push({
        step: 'select',
        service: 'selector',
        stage: 'receive',
        start: selectedAt,
        durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
        outcome: 'completed',
        attempt: 1,
        node: deps.node,
        resolver: {
          type: 'rules',
          source: target.source,
          fired: target.fired,
          ...(target.winner ? { winner: target.winner } : {}),
          ...(target.defaults ? { defaults: target.defaults } : {}),
          params: { itinerary: def.name, version: def.version },
        },
      });
      if (active?.span.isRecording()) active.span.setAttributes(decisionAttributes('itinera.selector', envelope.trace[envelope.trace.length - 1].resolver!));
    }
    deps.replies.startCapture(id);
    let result;
    let reply: { body: unknown } | undefined;
    try {
      result = await deps.runner.run(envelope, 'receive', active ? { parent: active.ctx } : {});
    } finally {
      reply = deps.replies.endCapture(id);
    }
    if (result.status === 'faulted') throw result.error;
    if (result.status === 'hop')
      throw new ItineraError('INVALID_ITINERARY', `a receive-stage step of ${def.name}@${def.version} names a queue; only steps after publication can hop`);

    const itinerary = itineraryKey(def.name, def.version);
    const now = envelope.createdAt;
    const done = result.status === 'terminated' || envelope.itinerary.cursor >= def.steps.length;
    const record: MessageRecord = {
      messageId: id,
      correlationId: envelope.correlationId,
      itinerary,
      status: done ? 'completed' : 'accepted',
      action: envelope.action,
      session: message.session,
      principal: message.principal?.id,
      acceptedAt: now,
      updatedAt: now,
      trace: envelope.trace as TraceEntry[],
      context: redactSecrets(envelope.context),
    };
    if (reply) record.reply = reply;
    await deps.messages.put(record);
    if (!done) {
      try {
        await deps.box.publish(deps.workQueue, envelope, { jobId: id, ...(message.session ? { orderingKey: message.session } : {}) });
      } catch (err) {
        await deps.messages
          .update(id, { status: 'faulted', error: { code: 'TRANSPORT_UNAVAILABLE', message: 'not accepted: the message box is unreachable' } })
          .catch(() => undefined);
        throw err instanceof ItineraError
          ? err
          : new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box is unreachable; nothing was accepted, retry later', { transient: true, cause: err });
      }
    }
    const accepted: Accepted = { messageId: id, correlationId: envelope.correlationId, itinerary, status: record.status };
    if (reply) accepted.reply = reply;
    if (message.idempotencyKey && hash) {
      // The box holds the message now: failing the request here would tell the client
      // "not accepted" (and its retry would run it twice). Worst case without the claim
      // is that a retry runs it again, which a failed answer would cause anyway.
      await deps.idempotency.set(idempotencyStoreKey(message, message.idempotencyKey), hash, accepted, deps.idempotencyTtlMs).catch((err: unknown) => {
        deps.logger.warn({ ...messageLogFields(envelope), err }, 'accepted, but the Idempotency-Key could not be recorded; a retry with that key may run it again');
      });
    }
    return accepted;
  }

  /**
   * Reserve the Idempotency-Key before anything runs, atomically (first claim wins), so two
   * concurrent requests with one key never both run. An earlier acceptance with the same
   * body is replayed; another body, or a request with the key still in progress, is 409.
   */
  private async reserve(storeKey: string, hash: string, key: string): Promise<Accepted | undefined> {
    const found = await this.deps.idempotency.claim(storeKey, hash, IN_PROGRESS, RESERVATION_TTL_MS);
    if (!found) return undefined;
    if (found.hash !== hash) {
      throw new ItineraError('IDEMPOTENCY_CONFLICT', `Idempotency-Key ${previewKey(key)} was already used with another body; use a new key for a new message`);
    }
    if ((found.value as typeof IN_PROGRESS)?.inProgress) {
      throw new ItineraError('IDEMPOTENCY_CONFLICT', `a request with Idempotency-Key ${previewKey(key)} is still being accepted; retry it in a moment`, {
        transient: true,
      });
    }
    return found.value as Accepted;
  }

  /** Body (and headers, free-form on queue jobs) fit to travel as JSON, checked before anything copies or walks them. */
  private checkJson(message: InboundMessage): void {
    if (fitsJson(message.body) && fitsJson(message.headers)) return;
    for (const [field, value] of [
      ['body', message.body],
      ['headers', message.headers],
    ] as const) {
      const unfit = unfitJsonAt(value, MAX_BODY_DEPTH);
      if (!unfit) continue;
      const pointer = `/${field}${unfit.pointer}`.slice(0, 400);
      const problem =
        unfit.problem === 'depth'
          ? `objects or arrays nested deeper than ${MAX_BODY_DEPTH} levels`
          : 'a number out of range (JSON numbers must be finite doubles)';
      const hint = unfit.problem === 'depth' ? 'send flatter JSON' : 'send a finite number (within ±1.7e308), or the value as a string';
      throw new ItineraError('BAD_REQUEST', `the ${field} has ${problem} at ${pointer}; ${hint}`, { details: [{ pointer, message: problem }] });
    }
  }

  /** An itinerary may close an on-ramp (e.g. one fed only by a queue is internal). */
  private checkOnRamp(def: ItineraryDefinition, message: InboundMessage): void {
    const t = message.transport;
    const kind = t === 'http' ? 'http' : t === 'ws' || t === 'poll' || t === 'tcp' ? 'duplex' : undefined;
    if (kind && def.onRamps?.[kind] === false) {
      throw new ItineraError(
        'FORBIDDEN',
        `${def.name}@${def.version} does not accept messages over ${kind === 'http' ? 'HTTP' : 'duplex sessions'} (onRamps.${kind} is false)`,
      );
    }
  }

  /** The itinerary's `access` against the sender, before anything runs (401 without credential, 403 without permission). */
  private checkAccess(def: ItineraryDefinition, message: InboundMessage): void {
    checkAccess(def, message.action, message.principal);
  }

  private checkAction(def: ItineraryDefinition, message: InboundMessage): void {
    if (!def.actions) return;
    const action = message.action;
    // Own keys only: an action named "__proto__" or "constructor" would find Object.prototype's and pass the contract.
    const spec = action && Object.hasOwn(def.actions, action) ? def.actions[action] : undefined;
    if (!action || !spec) {
      const known = Object.keys(def.actions).join(', ');
      throw new ItineraError(
        'UNKNOWN_ACTION',
        action
          ? `${def.name}@${def.version} has no action "${action}"; its actions are: ${known}`
          : `${def.name}@${def.version} needs an action; one of: ${known}`,
        { details: [{ pointer: '/action', message: `must be one of: ${known}` }] },
      );
    }
    if (spec.schema) {
      const errors = this.deps.schemas.validate(spec.schema, message.body);
      if (errors.length) {
        throw new ItineraError(
          'VALIDATION_FAILED',
          `the body of ${action} does not match its schema: ${errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`,
          {
            details: errors.map((e) => ({ ...e, pointer: `/body${e.pointer}` })),
          },
        );
      }
    }
  }
}
