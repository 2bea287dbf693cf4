import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openRedis } from '@itinera/core';
import { redisEndpointOf } from './config';
import { OnRampLimits, startSessionSweeper } from '@itinera/adapters';
import type { OnRampContext } from '@itinera/core';
import fastifyStatic from '@fastify/static';
import { registerConsole } from '@itinera/console';
import { BUILT_BUNDLE, PUBLIC_DIR, browserBundle } from './client-bundle';
import type { Bus } from './bus';
import { CLIENT_BUNDLE_SCHEMA, DEMO_REDIRECT_SCHEMA, ROOT_SCHEMA } from './demo.schemas';

/** Routes of the node itself (not of an on-ramp), registered after the on-ramps' in the same scope. */
type NodePages = (scope: FastifyInstance, bus: Bus) => void;

/** The node's own pages: the demo page and client bundle, the console. A new page is one line here. */
const NODE_PAGES: readonly NodePages[] = [
  (scope) => registerDemo(scope),
  (scope, bus) => registerConsole(scope, { enabled: bus.config.console !== false }),
];

export interface MountedGateway {
  /** The node's HTTP server and routes, as on-ramps see them (OnRampContext.http). */
  readonly http: NonNullable<OnRampContext['http']>;
  /** New-session, open-session, message and request limits every on-ramp shares. */
  readonly limits: OnRampLimits;
  /** Register every route the on-ramps added, then the node's pages, in one encapsulated scope. */
  serve(): void;
  /** Stop expiring sessions (first thing on shutdown: the on-ramps then close their sessions' connections). */
  stopSweeper(): Promise<void>;
  /** Release what the gateway holds (the limits' Redis connection), after the on-ramps closed. */
  close(): Promise<void>;
}

/**
 * The gateway role's HTTP side: the one Fastify scope the on-ramps add routes to (so
 * one problem+json error handler covers them all), the shared limits and the session
 * sweeper. Which on-ramps run is the bus's list; nothing here names a transport.
 */
export function mountGateway(bus: Bus, app: FastifyInstance, server: Server): MountedGateway {
  const { config, logger } = bus;
  const limits = createLimits(bus);
  const registrars: ((scope: FastifyInstance) => void)[] = [];
  let served = false;
  const sweeper = startSessionSweeper({
    sessions: bus.sessions,
    faults: bus.faults,
    logger,
    everyMs: Math.min(30_000, Math.max(1000, Math.floor(config.sessionTtlMs / 4))),
  });
  return {
    http: {
      server,
      routes(register) {
        if (served) throw new Error('on-ramp routes must be added while the on-ramp starts, before the node serves HTTP');
        registrars.push(register);
      },
    },
    limits: limits.limits,
    serve() {
      served = true;
      void app.register(async (scope) => {
        for (const register of registrars) register(scope);
        for (const page of NODE_PAGES) page(scope, bus);
      });
    },
    stopSweeper: () => sweeper.stop(),
    close: () => limits.close(),
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
