import { toItineraError, type Logger, type OutboxFrame, type SessionStore } from '@itinera/core';
import { callbackTarget, type CallbackTarget } from './callback-url';
import { CallbackAgents, postCallback, type PostOutcome } from './callback-post';
import type { DeliveryLease } from './delivery-lease';
import { webhookHeaders } from './webhook-signature';

/** The session group every dual-HTTP session joins, so any node's sweep finds them. */
export const DUAL_HTTP_GROUP = '$dual-http';
/** Where a session keeps its callback address and key (session state survives restarts and is shared by every node). */
export const DUAL_HTTP_STATE_KEY = '$dual-http';

export interface DualHttpSessionConfig {
  callbackUrl: string;
  /** Base64 of the HMAC key bytes. */
  key: string;
}

export interface CallbackDelivererOptions {
  sessions: SessionStore;
  lease: DeliveryLease;
  logger: Logger;
  allowList: readonly string[];
  timeoutMs: number;
  /** First retry wait; doubles per failed attempt up to `retryMaxMs`, with jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxResponseBytes: number;
  /** How often leases are renewed (a third of the lease time). */
  renewMs: number;
  /** Frames read per outbox round trip. */
  batch?: number;
}

interface Delivery {
  id: string;
  target?: CallbackTarget;
  key?: Buffer;
  unsubscribe: () => void;
  running: boolean;
  again: boolean;
  retry?: NodeJS.Timeout;
  /** Failed attempts of the frame at the head of the outbox. */
  attempts: number;
}

/**
 * Delivers the outbox of the dual-HTTP sessions this node holds the lease of:
 * per session one frame at a time in seq order, each POSTed signed; a 2xx acks
 * it, anything else waits (exponential backoff with jitter) and tries the same
 * frame again while later frames wait. Nothing leaves the outbox unacknowledged,
 * so a node that dies loses nothing: another node's sweep takes the session over.
 */
export class CallbackDeliverer {
  /** Frames the client acknowledged with a 2xx, and those among them that needed more than one attempt. */
  delivered = 0;
  redelivered = 0;
  private readonly held = new Map<string, Delivery>();
  private readonly agents = new CallbackAgents();
  private readonly abort = new AbortController();
  private readonly renewTimer: NodeJS.Timeout;
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly o: CallbackDelivererOptions) {
    this.log = o.logger.child({ component: 'dual-http' });
    this.renewTimer = setInterval(() => void this.renew(), o.renewMs);
    this.renewTimer.unref();
  }

  /** Sessions this node delivers now. */
  get sessionCount(): number {
    return this.held.size;
  }

  /** Take over `session` when no other node delivers it, then deliver what is pending. */
  async adopt(session: string, known?: DualHttpSessionConfig): Promise<void> {
    if (this.closed) return;
    const mine = this.held.get(session);
    if (mine) return this.kick(mine);
    if (!(await this.o.lease.acquire(session))) return;
    if (this.closed || this.held.has(session)) return;
    const d: Delivery = { id: session, unsubscribe: () => undefined, running: false, again: false, attempts: 0 };
    this.held.set(session, d);
    try {
      const config = known ?? ((await this.o.sessions.getState(session))[DUAL_HTTP_STATE_KEY] as DualHttpSessionConfig | undefined);
      if (!config) return void (await this.drop(d, 'no callback address stored'));
      d.key = Buffer.from(config.key, 'base64');
      d.target = callbackTarget(config.callbackUrl, this.o.allowList);
    } catch (error) {
      const err = toItineraError(error);
      if (err.code === 'SESSION_NOT_FOUND') return void (await this.drop(d, 'gone'));
      // The allow-list changed since the session was opened: keep the frames (they expire to faults), say why once.
      this.log.error({ session, code: err.code, err: err.message }, 'dual-HTTP callbacks of this session cannot be delivered');
      return;
    }
    d.unsubscribe = this.o.sessions.subscribe(session, () => this.kick(d));
    await this.kick(d);
  }

  /** Stop delivering; unacknowledged frames stay in the outboxes for whichever node comes next. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.renewTimer);
    this.abort.abort();
    await Promise.all([...this.held.values()].map((d) => this.drop(d)));
    this.agents.destroy();
  }

  private async kick(d: Delivery): Promise<void> {
    if (this.closed || !d.target || d.retry) return;
    if (d.running) {
      d.again = true;
      return;
    }
    d.running = true;
    try {
      do {
        d.again = false;
        await this.deliverPending(d);
      } while (d.again && !d.retry && !this.closed && this.held.get(d.id) === d);
    } catch (error) {
      if (toItineraError(error).code === 'SESSION_NOT_FOUND') await this.drop(d, 'gone');
      else {
        this.log.warn({ session: d.id, err: error }, 'dual-HTTP delivery could not read the outbox; retried on the next wake-up or sweep');
      }
    } finally {
      d.running = false;
    }
  }

  private async deliverPending(d: Delivery): Promise<void> {
    const info = await this.o.sessions.get(d.id);
    if (!info) return void (await this.drop(d, 'gone'));
    let acked = info.ackedSeq;
    for (;;) {
      const frames = await this.o.sessions.pending(d.id, acked, this.o.batch ?? 16);
      if (frames.length === 0) return;
      for (const frame of frames) {
        if (this.closed || this.held.get(d.id) !== d) return;
        const outcome = await this.post(d, frame);
        if (!outcome.ok) return this.backOff(d, frame, outcome);
        this.delivered++;
        if (d.attempts > 0) this.redelivered++;
        d.attempts = 0;
        acked = frame.seq;
        // A 2xx is the client's acknowledgement, and proof it is alive (keeps the session from expiring).
        await this.o.sessions.ack(d.id, frame.seq);
        await this.o.sessions.touch(d.id);
      }
    }
  }

  private post(d: Delivery, frame: OutboxFrame): Promise<PostOutcome> {
    const body = JSON.stringify(frame);
    // Stable across retries: the receiver can tell a redelivery by this id as well as by seq.
    const headers = webhookHeaders(d.key!, `msg_${d.id}_${frame.seq}`, body);
    return postCallback(d.target!, body, headers, {
      timeoutMs: this.o.timeoutMs,
      maxResponseBytes: this.o.maxResponseBytes,
      agents: this.agents,
      signal: this.abort.signal,
    });
  }

  private backOff(d: Delivery, frame: OutboxFrame, outcome: PostOutcome): void {
    if (this.closed) return;
    d.attempts++;
    const ceiling = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(d.attempts - 1, 30));
    // Jitter spreads the retries of many sessions whose client went down at once.
    const wait = Math.min(this.o.retryMaxMs, Math.max(outcome.retryAfterMs ?? 0, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)));
    const fields = { session: d.id, seq: frame.seq, attempt: d.attempts, retryInMs: wait, status: outcome.status, callbackUrl: d.target!.url.origin };
    if (d.attempts === 1 || d.attempts % 10 === 0) this.log.warn({ ...fields, why: outcome.why }, 'dual-HTTP callback not acknowledged; retrying with backoff');
    else this.log.debug({ ...fields, why: outcome.why }, 'dual-HTTP callback retry failed');
    d.retry = setTimeout(() => {
      d.retry = undefined;
      void this.kick(d);
    }, wait);
    d.retry.unref();
  }

  private async renew(): Promise<void> {
    for (const d of [...this.held.values()]) {
      try {
        if (!(await this.o.lease.renew(d.id))) await this.drop(d, 'lease lost', false);
      } catch (err) {
        this.log.warn({ session: d.id, err }, 'could not renew the dual-HTTP delivery lease; retried on the next tick');
      }
    }
  }

  /** Forget the session here; `release` false when the lease is already someone else's. */
  private async drop(d: Delivery, why?: string, release = true): Promise<void> {
    if (this.held.get(d.id) !== d) return;
    this.held.delete(d.id);
    d.unsubscribe();
    if (d.retry) clearTimeout(d.retry);
    d.retry = undefined;
    if (why) this.log.debug({ session: d.id, why }, 'dual-HTTP session no longer delivered by this node');
    if (why === 'gone') await this.o.sessions.leave(DUAL_HTTP_GROUP, d.id).catch(() => undefined);
    if (release) await this.o.lease.release(d.id).catch(() => undefined);
  }
}
