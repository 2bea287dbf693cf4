import { Cluster } from 'ioredis';
import {
  RedisKeyspace,
  defineOnRamp,
  openRedis,
  type OnRampCloseOptions,
  type OnRampContext,
  type RedisClient,
  type RedisEndpoint,
  type RunningOnRamp,
} from '@itinera/core';
import { CALLBACK_ALLOWLIST_SETTING, checkCallbackUrl } from './callback-url';
import { CallbackDeliverer, DUAL_HTTP_GROUP, DUAL_HTTP_STATE_KEY, type DualHttpSessionConfig } from './callback-deliverer';
import { localLease, redisLease, type DeliveryLease } from './delivery-lease';
import { newWebhookSecret } from './webhook-signature';

/** The settings of the dual-HTTP duplex (also part of the bus configuration). */
export const DUAL_HTTP_SPEC = {
  [CALLBACK_ALLOWLIST_SETTING]: {
    type: 'string',
    description:
      'Comma-separated URL prefixes dual-HTTP sessions may name as callbackUrl (compared after normalisation: scheme, host, port, path on a segment boundary). Empty or `*`: any public address. Loopback, private, link-local and cloud metadata addresses are refused (422 CALLBACK_URL_REFUSED, checked after DNS and again at every connection) unless listed here, e.g. `http://127.0.0.1:4000/`.',
    default: '',
  },
  ITINERA_CALLBACK_TIMEOUT_MS: {
    type: 'integer',
    description: 'Time a callback receiver has to answer one POST; no answer counts as a failure (retried).',
    default: 5000,
    minimum: 100,
    maximum: 120_000,
  },
  ITINERA_CALLBACK_RETRY_MS: {
    type: 'integer',
    description: 'Wait before retrying a callback that got no 2xx; doubles on every further failure of the same frame (with jitter), later frames of the session wait.',
    default: 500,
    minimum: 10,
    maximum: 60_000,
  },
  ITINERA_CALLBACK_RETRY_MAX_MS: {
    type: 'integer',
    description: 'Longest wait between two attempts of one callback (a Retry-After answer header is honoured up to it).',
    default: 30_000,
    minimum: 100,
    maximum: 600_000,
  },
  ITINERA_CALLBACK_LEASE_MS: {
    type: 'integer',
    description:
      'How long a gateway holds the delivery of a dual-HTTP session without renewing it (renewed every third of it). A gateway that dies stops renewing; another takes its sessions over within about this time.',
    default: 15_000,
    minimum: 1000,
    maximum: 300_000,
  },
} as const;

/** An answer to a callback is ignored; reading more than this of it is a failure. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface DualHttpContext extends OnRampContext {
  /** BullMQ deployments: the Redis where delivery leases live (one node per session at a time). */
  redis?: { url: RedisEndpoint; prefix: string };
  /** Started by the runtime: the node's Redis stands in for `redis`. */
  node?: { redis?: { url: RedisEndpoint; prefix: string } };
}

/** The hook of `POST /duplex/sessions`: a body with `callbackUrl` opens a dual-HTTP session. */
export interface DualHttpSessions {
  /**
   * Check the body; undefined when it asks for no callbacks. Throws CALLBACK_URL_REFUSED
   * before any session exists. The returned function stores the address and a new
   * secret with the session just created and answers the fields to add to the 201.
   */
  prepare(body: unknown): Promise<((session: string) => Promise<{ webhookSecret: string }>) | undefined>;
}

export interface RunningDualHttp extends RunningOnRamp, DualHttpSessions {
  deliverer: CallbackDeliverer;
  /** The deliverer's counts (the callbacks-delivered metrics, transport dual-http). */
  readonly delivery: CallbackDeliverer;
  /** Adopt dual-HTTP sessions no node delivers (their node died or restarted). */
  sweep(): Promise<void>;
}

const setting = (ctx: OnRampContext, name: keyof typeof DUAL_HTTP_SPEC): unknown => ctx.settings[name] ?? DUAL_HTTP_SPEC[name].default;

/** Start delivering dual-HTTP callbacks on this node. */
export function startDualHttp(ctx: DualHttpContext): RunningDualHttp {
  const { sessions, logger } = ctx;
  const allowList = String(setting(ctx, CALLBACK_ALLOWLIST_SETTING))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const leaseMs = Number(setting(ctx, 'ITINERA_CALLBACK_LEASE_MS'));
  let redis: RedisClient | undefined;
  let lease: DeliveryLease;
  const shared = ctx.redis ?? ctx.node?.redis;
  if (shared) {
    redis = openRedis(shared.url, { connectionName: 'itinera-dual-http', maxRetriesPerRequest: 1, connectTimeout: 3000, commandTimeout: 2000 });
    redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'dual-http: Redis connection error'));
    // One key per session's lease: on a cluster, without the prefix's braces, they spread over the slots.
    lease = redisLease(redis, new RedisKeyspace(shared.prefix, redis instanceof Cluster).base, leaseMs);
  } else {
    lease = localLease(sessions);
  }
  const deliverer = new CallbackDeliverer({
    sessions,
    lease,
    logger,
    allowList,
    timeoutMs: Number(setting(ctx, 'ITINERA_CALLBACK_TIMEOUT_MS')),
    retryBaseMs: Number(setting(ctx, 'ITINERA_CALLBACK_RETRY_MS')),
    retryMaxMs: Number(setting(ctx, 'ITINERA_CALLBACK_RETRY_MAX_MS')),
    maxResponseBytes: MAX_RESPONSE_BYTES,
    renewMs: Math.max(100, Math.floor(leaseMs / 3)),
  });

  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> =>
    (sweeping ??= (async () => {
      try {
        for (const id of await sessions.members(DUAL_HTTP_GROUP)) await deliverer.adopt(id);
      } catch (err) {
        logger.warn({ err }, 'dual-HTTP sweep failed; retried on the next tick');
      } finally {
        sweeping = undefined;
      }
    })());
  const timer = setInterval(() => void sweep(), Math.max(100, Math.floor(leaseMs / 3)));
  timer.unref();

  return {
    deliverer,
    delivery: deliverer,
    sweep,
    async prepare(body) {
      // The long-polling contract reads no body here: anything but an object naming a callbackUrl
      // opens a long-polling session, as it always did.
      if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
      const raw = (body as { callbackUrl?: unknown }).callbackUrl;
      if (raw === undefined) return undefined;
      const target = await checkCallbackUrl(raw, allowList);
      const callbackUrl = target.url.href;
      return async (session) => {
        const { secret, key } = newWebhookSecret();
        const config: DualHttpSessionConfig = { callbackUrl, key: key.toString('base64') };
        await sessions.setState(session, { ...(await sessions.getState(session)), [DUAL_HTTP_STATE_KEY]: config });
        await sessions.join(DUAL_HTTP_GROUP, session);
        logger.debug({ session, callbackUrl: target.url.origin }, 'duplex session over dual HTTP');
        void deliverer.adopt(session, config);
        return { webhookSecret: secret };
      };
    },
    async close(_opts?: OnRampCloseOptions) {
      clearInterval(timer);
      await sweeping;
      await deliverer.close();
      await redis?.quit().catch(() => redis?.disconnect());
    },
  };
}

/**
 * Duplex over dual HTTP (WCF's WSDualHttpBinding): the client names a callback
 * address when it opens a session over HTTP, and the bus POSTs the session's
 * callbacks and faults there, signed the Standard Webhooks way, in seq order.
 * Sessions are opened and messages sent on the long-polling routes.
 */
export const dualHttpOnRamp = defineOnRamp<DualHttpContext>({
  name: 'dual-http',
  summary: 'Duplex over dual HTTP: callbacks POSTed, signed, to the address the client gave at POST /duplex/sessions.',
  spec: DUAL_HTTP_SPEC,
  roles: ['gateway'],
  start: startDualHttp,
});
