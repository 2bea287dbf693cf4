import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openRedis } from '@itinera/core';
import { redisEndpointOf } from './config';
import {
  OnRampLimits,
  attachWebSocketDuplex,
  registerAsyncApiRoute,
  registryFor,
  trustFunction,
  registerFaultRoutes,
  registerActivityRoutes,
  registerGraphRoute,
  registerHttpOnRamp,
  registerPollingDuplex,
  startDualHttp,
  startSessionSweeper,
  TCP_ON_RAMP,
  type TcpOnRampContext,
} from '@itinera/adapters';
import type { RunningOnRamp } from '@itinera/core';
import { drawDeployedItinerary } from '@itinera/engine';
import fastifyStatic from '@fastify/static';
import { registerConsole } from '@itinera/console';
import { BUILT_BUNDLE, PUBLIC_DIR, browserBundle } from './client-bundle';
import type { Bus } from './bus';
import { CLIENT_BUNDLE_SCHEMA, DEMO_REDIRECT_SCHEMA, ROOT_SCHEMA } from './demo.schemas';
import { registerDuplexMetrics } from './bus-metrics';

export interface MountedGateway {
  close(opts: { reason: 'shutdown'; retryAfterMs?: number }): Promise<void>;
}

/** The gateway role's on-ramps: HTTP, WebSocket duplex, long-polling duplex, the demo page, the client bundle and the console. */
export function mountGateway(bus: Bus, app: FastifyInstance, server: Server): MountedGateway {
  const { config, logger } = bus;
  const duplexOptions = {
    heartbeatMs: config.heartbeatMs,
    pollTimeoutMs: config.pollTimeoutMs,
    sessionTtlMs: config.sessionTtlMs,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedBytes: config.wsMaxBufferedBytes,
  };
  const limits = createLimits(bus);
  const deps = { gateway: bus.gateway, sessions: bus.sessions, logger, options: duplexOptions, limits: limits.limits, auth: bus.auth };
  let polling: ReturnType<typeof registerPollingDuplex> | undefined;
  // Dual HTTP: sessions opened on POST /duplex/sessions with a callbackUrl, their callbacks POSTed from here.
  const dualHttp = startDualHttp({
    settings: config.dualHttp,
    gateway: bus.gateway,
    sessions: bus.sessions,
    messages: bus.messages,
    faults: bus.faults,
    box: bus.box,
    logger,
    ...(config.transport === 'bullmq' && config.redisUrl ? { redis: { url: config.redisUrl, prefix: config.redisPrefix } } : {}),
  });
  // One encapsulated plugin: the on-ramp's problem+json error handler covers every route in it.
  void app.register(async (scope) => {
    registerHttpOnRamp(scope, {
      auth: bus.auth,
      metricsAuth: config.metricsAuth,
      gateway: bus.gateway,
      messages: bus.messages,
      sessions: bus.sessions,
      itineraries: bus.registry,
      ready: () => bus.checkReady().then(() => true),
      metrics: () => bus.metrics.render(),
      metricsContentType: bus.metrics.contentType,
      limits: limits.limits,
    });
    registerFaultRoutes(scope, { faults: bus.faults, resubmit: (id, repair) => bus.resubmit(id, repair), auth: bus.auth });
    registerActivityRoutes(scope, { activities: bus.activities, itineraries: bus.registry, auth: bus.auth });
    registerGraphRoute(scope, { draw: (name, version, format) => drawDeployedItinerary(bus.registry, name, version, format), auth: bus.auth });
    polling = registerPollingDuplex(scope, { ...deps, dualHttp });
    registerAsyncApiRoute(scope);
    registerDemo(scope);
    registerConsole(scope, { enabled: config.console !== false });
  });
  const ws = attachWebSocketDuplex(server, { ...deps, allowedOrigins: config.allowedOrigins, trustProxy: trustFunction(config.trustProxy) });
  registerDuplexMetrics(bus.metrics, registryFor(bus.sessions), dualHttp.deliverer);
  const tcp = startTcp(bus, app, { duplex: duplexOptions, limits: limits.limits, auth: bus.auth });
  const sweeper = startSessionSweeper({
    sessions: bus.sessions,
    faults: bus.faults,
    logger,
    everyMs: Math.min(30_000, Math.max(1000, Math.floor(config.sessionTtlMs / 4))),
  });

  return {
    async close(opts) {
      await sweeper.stop();
      await Promise.all([ws.close(opts), polling?.close(opts), tcp.close({ drain: true, ...opts })]);
      await dualHttp.close({ drain: true });
      await limits.close();
    },
  };
}

/**
 * The TCP duplex, when ITINERA_TCP_PORT is set: it listens when the HTTP server does
 * (Fastify's onReady), so a port in use fails the start like the HTTP port would.
 */
function startTcp(bus: Bus, app: FastifyInstance, extra: Pick<TcpOnRampContext, 'duplex' | 'limits' | 'auth'>): RunningOnRamp {
  const { config } = bus;
  let running: Promise<RunningOnRamp> | undefined;
  if (TCP_ON_RAMP.enabled?.(config.tcp)) {
    app.addHook('onReady', async () => {
      const { gateway, sessions, messages, faults, box, logger } = bus;
      running = Promise.resolve(
        TCP_ON_RAMP.start({ ...extra, settings: config.tcp, defaultHost: config.host, gateway, sessions, messages, faults, box, logger }),
      );
      await running;
    });
  }
  return {
    close: async (opts) =>
      void (await running?.then(
        (r) => r.close(opts),
        () => undefined,
      )),
  };
}

/** The on-ramp limits: counted in Redis when the box is BullMQ (every gateway alike), else in this process. */
function createLimits(bus: Bus): { limits: OnRampLimits; close(): Promise<void> } {
  const { config, logger } = bus;
  const endpoint = config.transport === 'bullmq' ? redisEndpointOf(config) : undefined;
  const redis = endpoint
    ? openRedis(endpoint, { connectionName: 'itinera-limits', maxRetriesPerRequest: 1, connectTimeout: 3000, commandTimeout: 2000 })
      : undefined;
  redis?.on('error', (err: Error) => logger.debug({ err: err.message }, 'limits: Redis connection error'));
  const limits = new OnRampLimits({
    settings: {
      sessionRate: config.sessionRate,
      sessionWindowS: config.sessionWindowS,
      maxSessionsPerPrincipal: config.maxSessionsPerPrincipal,
      maxSessionsPerAddress: config.maxSessionsPerAddress,
      messageRate: config.messageRate,
      requestRate: config.rateLimit,
    },
    sessions: bus.sessions,
    redis,
    prefix: config.redisPrefix,
    sessionTtlMs: config.sessionTtlMs,
  });
  return { limits, close: async () => void (await redis?.quit().catch(() => redis.disconnect())) };
}

/** The demo page (apps/bus/public at /demo/) and the browser client bundle at /client/itinera.js. */
function registerDemo(scope: FastifyInstance): void {
  if (existsSync(BUILT_BUNDLE)) {
    // A build wrote the bundle: @fastify/static sends it (ETag, ranges), nothing is bundled at run time.
    void scope.register(fastifyStatic, { root: dirname(BUILT_BUNDLE), serve: false, cacheControl: false });
    scope.get('/client/itinera.js', CLIENT_BUNDLE_SCHEMA, async (_req, reply) => reply.header('cache-control', 'no-cache').sendFile(basename(BUILT_BUNDLE)));
  } else {
    scope.get('/client/itinera.js', CLIENT_BUNDLE_SCHEMA, async (_req, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(await browserBundle()),
    );
  }
  scope.get('/', ROOT_SCHEMA, async (_req, reply) => reply.redirect('/demo/'));
  scope.get('/demo', DEMO_REDIRECT_SCHEMA, async (_req, reply) => reply.redirect('/demo/'));
  // @fastify/static: ranges, ETags, and no path escapes out of the folder.
  void scope.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/demo/', decorateReply: false, index: ['index.html'], schemaHide: false });
}
