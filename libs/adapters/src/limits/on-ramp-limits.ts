import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ItineraError, RedisKeyspace, type Principal, type RedisClient, type SessionStore } from '@itinera/core';
import { addressLimitKey } from './client-address';
import { MemoryOwnerSessions, RedisOwnerSessions, type OwnerSessions } from './owner-sessions';

/** The on-ramp limits; 0 turns one off. */
export interface LimitSettings {
  /** New duplex sessions per second per client address, and per principal, averaged over `sessionWindowS`. */
  sessionRate: number;
  /** The window the session rate is counted over: a burst of `sessionRate × sessionWindowS` fits in it. */
  sessionWindowS: number;
  /** Open duplex sessions per principal. */
  maxSessionsPerPrincipal: number;
  /** Open duplex sessions per client address. */
  maxSessionsPerAddress: number;
  /** Messages per second per principal (per client address for anonymous callers), every on-ramp but queues. */
  messageRate: number;
  /** HTTP messages per second per client address (`ITINERA_RATE_LIMIT`). */
  requestRate: number;
}

export const NO_LIMITS: LimitSettings = { sessionRate: 0, sessionWindowS: 1, maxSessionsPerPrincipal: 0, maxSessionsPerAddress: 0, messageRate: 0, requestRate: 0 };

/** Who is asking: the authenticated principal, when there is one, and the client address. */
export interface Caller {
  principal?: Principal;
  address: string;
}

/** RATE_LIMITED (429) that says when to try again: `Retry-After` on HTTP, `retryAfterMs` in a duplex error frame. */
export class RateLimitedError extends ItineraError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super('RATE_LIMITED', message, { transient: true });
  }
}

/** The `retryAfterMs` of a RATE_LIMITED error, if it says one. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof RateLimitedError ? err.retryAfterMs : undefined;
}

/** Placeholder ids hold a slot while a session is created; a node that died meanwhile leaves one, pruned after PENDING_MS. */
const PENDING = 'pending:';
const PENDING_MS = 60_000;

/** How long an owner found at its cap is refused before its sessions are looked at again. */
const PRUNE_EVERY_MS = 1000;

/** An anonymous caller has no principal of its own: address-keyed limits apply to it. */
const principalKey = (c: Caller): string | undefined => (c.principal && c.principal.kind !== 'anonymous' ? `p:${c.principal.id}` : undefined);
/** IPv6 callers by their /64 (see addressLimitKey). */
const addressKey = (c: Caller): string => `a:${addressLimitKey(c.address)}`;

export interface OnRampLimitsOptions {
  settings: LimitSettings;
  sessions: SessionStore;
  /** Redis (the BullMQ box's server, or its cluster): limits count cluster-wide. Without it they count on this node. */
  redis?: RedisClient;
  /** Redis key prefix (default `{itinera}`; on a cluster without its braces, so each caller's bucket has its own slot). */
  prefix?: string;
  /** How long a session lives without activity: the owner sets expire a while after. */
  sessionTtlMs: number;
}

/**
 * Rate and count limits of the on-ramps, one object per node: rate-limiter-flexible
 * buckets (in memory on the embedded box, in Redis on BullMQ so every gateway counts
 * alike) and the set of open sessions per owner. Each check throws RateLimitedError.
 */
export class OnRampLimits {
  private readonly sessionRate?: RateLimiterAbstract;
  private readonly messageRate?: RateLimiterAbstract;
  private readonly requestRate?: RateLimiterAbstract;
  private readonly owners: OwnerSessions;
  /** Owners found at their cap after a prune, until when: their attempts meanwhile cost no store reads. */
  private readonly fullUntil = new Map<string, number>();

  constructor(private readonly o: OnRampLimitsOptions) {
    const { settings } = o;
    // Every bucket is one key, touched alone: on a cluster they spread over the slots by their own names.
    const prefix = new RedisKeyspace(o.prefix ?? '{itinera}', o.redis instanceof Cluster).key('rl');
    const limiter = (name: string, perSecond: number, duration = 1): RateLimiterAbstract | undefined => {
      if (perSecond <= 0) return undefined;
      const opts = { points: perSecond * duration, duration, keyPrefix: `${prefix}:${name}` };
      return o.redis ? new RateLimiterRedis({ ...opts, storeClient: o.redis }) : new RateLimiterMemory(opts);
    };
    // A page that opens a handful of tabs, or a test rig, opens sessions in bursts: count them over a window.
    this.sessionRate = limiter('session', settings.sessionRate, Math.max(1, settings.sessionWindowS));
    this.messageRate = limiter('message', settings.messageRate);
    this.requestRate = limiter('request', settings.requestRate);
    const ttlSeconds = Math.ceil((2 * o.sessionTtlMs) / 1000);
    this.owners = o.redis ? new RedisOwnerSessions(o.redis, `${prefix}:owner`, ttlSeconds) : new MemoryOwnerSessions();
  }

  /** Whether any limit is on (the on-ramps skip the calls otherwise). */
  get settings(): LimitSettings {
    return this.o.settings;
  }

  /** Check the session rate and the open-session caps, create the session, count it for its owners. */
  async createSession<T extends { id: string }>(caller: Caller, create: () => Promise<T>): Promise<T> {
    const { settings } = this.o;
    const byPrincipal = principalKey(caller);
    const byAddress = addressKey(caller);
    if (this.sessionRate) {
      const what = 'New sessions';
      await consume(this.sessionRate, byAddress, `${what} from this address are limited to ${settings.sessionRate} a second over ${settings.sessionWindowS} s (ITINERA_SESSION_RATE)`);
      if (byPrincipal) await consume(this.sessionRate, byPrincipal, `${what} of this principal are limited to ${settings.sessionRate} a second over ${settings.sessionWindowS} s (ITINERA_SESSION_RATE)`);
    }
    const caps: [string, number, string][] = [];
    if (settings.maxSessionsPerAddress > 0) caps.push([byAddress, settings.maxSessionsPerAddress, 'this address (ITINERA_MAX_SESSIONS_PER_ADDRESS)']);
    if (byPrincipal && settings.maxSessionsPerPrincipal > 0)
      caps.push([byPrincipal, settings.maxSessionsPerPrincipal, 'this principal (ITINERA_MAX_SESSIONS_PER_PRINCIPAL)']);
    // Reserve a slot under a placeholder first (atomically: parallel requests cannot all see
    // room for one more), create the session, then swap the placeholder for its id.
    const placeholder = `${PENDING}${Date.now()}:${randomUUID()}`;
    const held: string[] = [];
    let created: T;
    try {
      for (const [key, max, whose] of caps) {
        const full = (retryAfterMs: number) =>
          new RateLimitedError(`At most ${max} open sessions for ${whose}; end one (bye / DELETE) or let one expire, then retry.`, retryAfterMs);
        const until = this.fullUntil.get(key) ?? 0;
        if (until > Date.now()) throw full(until - Date.now());
        if (await this.owners.reserve(key, placeholder, max)) {
          held.push(key);
          continue;
        }
        // At the cap: sessions ended or expired since still count; drop those, then try again
        // (at most once a second per owner: a caller at its cap cannot make us read its sessions again and again).
        await this.owners.prune(key, (id) => this.alive(id));
        if (!(await this.owners.reserve(key, placeholder, max))) {
          if (this.fullUntil.size >= 10_000) this.fullUntil.clear();
          this.fullUntil.set(key, Date.now() + PRUNE_EVERY_MS);
          throw full(PRUNE_EVERY_MS);
        }
        held.push(key);
      }
      created = await create();
    } catch (err) {
      await Promise.all(held.map((key) => this.owners.release(key, placeholder).catch(() => undefined)));
      throw err;
    }
    for (const key of held) await this.owners.swap(key, placeholder, created.id);
    return created;
  }

  /** Whether a counted session still is: a placeholder while its creation may still be under way, else per the store. */
  private async alive(id: string): Promise<boolean> {
    if (id.startsWith(PENDING)) return Date.now() - Number(id.slice(PENDING.length, id.indexOf(':', PENDING.length))) < PENDING_MS;
    return (await this.o.sessions.get(id)) !== undefined;
  }

  /** One message in (HTTP, WebSocket send, long-polling send). */
  async message(caller: Caller): Promise<void> {
    if (!this.messageRate) return;
    const key = principalKey(caller) ?? addressKey(caller);
    await consume(this.messageRate, key, `Messages are limited to ${this.o.settings.messageRate} a second per caller (ITINERA_MESSAGE_RATE)`);
  }

  /**
   * One HTTP message, after `request` counted it by address. An anonymous caller's message
   * budget is keyed by that same address: when ITINERA_RATE_LIMIT is the tighter (or equal)
   * budget it already bounds this message, and the second count (a Redis round trip on BullMQ)
   * is skipped. WebSocket and long-polling messages still count against ITINERA_MESSAGE_RATE.
   */
  async httpMessage(caller: Caller): Promise<void> {
    if (this.requestRate && !principalKey(caller) && this.o.settings.requestRate <= this.o.settings.messageRate) return;
    await this.message(caller);
  }

  /** One HTTP message by client address (`ITINERA_RATE_LIMIT`). */
  async request(address: string): Promise<void> {
    if (!this.requestRate) return;
    await consume(this.requestRate, addressKey({ address }), `Too many requests from this client: ${this.o.settings.requestRate} a second (ITINERA_RATE_LIMIT)`);
  }
}

async function consume(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof RateLimiterRes) {
      const ms = Math.max(1, Math.ceil(res.msBeforeNext));
      throw new RateLimitedError(`${what}; retry in ${ms} ms.`, ms);
    }
    throw new ItineraError('TRANSPORT_UNAVAILABLE', `The rate limiter's store is unreachable (${(res as Error)?.message ?? res}); retry shortly.`, {
      transient: true,
      cause: res,
    });
  }
}
