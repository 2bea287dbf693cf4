import 'reflect-metadata';
import { writeSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplicationContext, Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { redactText, type InvokeHandler, type ItineraExtensions, type Logger } from '@itinera/core';
import { createLogger, wantsPrettyLogs } from '@itinera/observability';
import {
  LIVE_SCHEMA,
  READY_SCHEMA,
  fromFastifyError,
  httpCredentials,
  metricsSchema,
  operatorGuard,
  sendProblem,
  trustFunction,
  useSharedSchemas,
  writeClientErrorProblem,
} from '@itinera/adapters';
import { ItineraModule, BusService } from './itinera.module';
import { ProblemFilter } from './problem.filter';
import type { Bus, BusRoles } from './bus';
import { loadConfig, type BusConfig } from './config';
import { registerOpenApi } from './openapi';
import { checkProductionConfig } from './production-check';
import { PinoNestLogger } from './nest.logger';
import { startFailure, startFailureText, wantsStartFailureText } from './start-failure';

export interface StartedNode {
  bus: Bus;
  app: INestApplicationContext;
  /** Base URL when the node serves HTTP. */
  url?: string;
  close(): Promise<void>;
}

/** `onRamps`, `sendAdapters` and `services`: the application's own parts (see ItineraModule.forRoot). */
export interface StartOptions extends ItineraExtensions {
  roles: BusRoles;
  steps?: Type<InvokeHandler>[];
  config?: BusConfig;
  /** Overrides on top of the environment (tests). */
  overrides?: Partial<BusConfig>;
  logger?: Logger;
}

/**
 * Start one node with the given roles. A gateway serves HTTP/WS on Fastify;
 * a worker without a gateway serves only health and metrics on its port.
 */
export async function startNode(opts: StartOptions): Promise<StartedNode> {
  const config = opts.config ?? loadConfig(process.env, opts.overrides);
  // NODE_ENV=production: unsafe defaults stop the start (INSECURE_PRODUCTION_CONFIG) before anything listens.
  checkProductionConfig(config, opts.roles);
  const pretty = wantsPrettyLogs(config.logPretty, config.production);
  const logger = opts.logger ?? createLogger({ level: config.logLevel, redact: config.logRedact, base: { node: config.node }, pretty });
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBodyBytes,
    logger: false,
    return503OnClosing: true,
    // req.ip: the client behind trusted proxies (ITINERA_TRUST_PROXY); the WebSocket upgrade uses the same test.
    trustProxy: config.trustProxy === false ? false : trustFunction(config.trustProxy),
    // Errors Fastify raises before routing (bad percent-encoding, …) are problem+json too.
    frameworkErrors: (err: Error, req: FastifyRequest, reply: FastifyReply) => void sendProblem(reply, fromFastifyError(err), req.url),
    // …and so are those Node's parser raises before Fastify sees a request (431 oversized headers, 400, 408).
    clientErrorHandler: writeClientErrorProblem,
  });
  const { onRamps, sendAdapters, services } = opts;
  const module = ItineraModule.forRoot({ roles: opts.roles, steps: opts.steps, config, logger, onRamps, sendAdapters, services });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    // Nest's own lines (start-up, exceptions it catches) are pino lines like every other.
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // Fastify's own JSON parser reads the bodies: Nest's would wrap that same parser in
    // another callback layer per request (and add a form parser no route accepts).
    bodyParser: false,
  });
  // Only the signals that ask for a shutdown: hooking every signal (the default) made a
  // fatal SIGILL/SIGSEGV run the graceful close again and again instead of ending the process.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  app.useGlobalFilters(new ProblemFilter());
  const service = app.get(BusService);
  let bus: Bus;
  try {
    bus = await service.create();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const fastify = app.getHttpAdapter().getInstance();
  // Before any route: @fastify/swagger learns them as they are added.
  useSharedSchemas(fastify);
  await registerOpenApi(fastify, {
    ui: config.apiDocs ?? false,
    itineraries: () => bus.registry,
    authenticate: (req) => bus.auth.authenticate(httpCredentials(req.headers, false).credentials),
  });
  if (opts.roles.gateway) {
    bus.mount(fastify, app.getHttpServer());
  } else {
    fastify.get('/health/live', LIVE_SCHEMA, async () => ({ status: 'ok' }));
    fastify.get('/health/ready', READY_SCHEMA, async (req, reply) =>
      bus.checkReady().then(
        () => ({ status: 'ready' }),
        (err: unknown) => sendProblem(reply, err, req.url),
      ),
    );
    // ITINERA_METRICS_AUTH holds here as on a gateway: a worker's port is no way around it.
    const guard = config.metricsAuth === 'operator' ? operatorGuard(bus.auth, 'the metrics') : undefined;
    fastify.get('/metrics', metricsSchema(guard !== undefined), async (req, reply) => {
      try {
        await guard?.(req);
      } catch (err) {
        return sendProblem(reply, err, req.url);
      }
      return reply.type(bus.metrics.contentType).send(await bus.metrics.render());
    });
  }
  await bus.start();
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://127.0.0.1:${port}`;
  return { bus, app, url, close: () => app.close() };
}

/**
 * A program's last line of defence: an exception or rejection nothing handled leaves
 * the process in an unknown state, so it writes one fatal line and exits 1 at once
 * (synchronously: no graceful close that could hang) for its supervisor to restart it.
 */
export function exitOnFatalErrors(name: string): void {
  const fatal = (kind: string) => (err: unknown) => {
    // Masked like every log line: a crashing request's URL may carry credentials.
    const detail = redactText(err instanceof Error ? (err.stack ?? err.message) : String(err));
    const line = JSON.stringify({ level: 'fatal', time: new Date().toISOString(), pid: process.pid, msg: `${name}: ${kind}, exiting`, err: detail });
    try {
      writeSync(2, `${line}\n`);
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
}

/** Run a node as a program: clear errors and exit 1 on bad config or itineraries, never a stack trace. */
export async function runMain(name: string, opts: Omit<StartOptions, 'config'>): Promise<void> {
  exitOnFatalErrors(name);
  let node: StartedNode;
  try {
    node = await startNode(opts);
  } catch (err) {
    // One JSON line on stderr, like the fatal line above: the stream a supervisor keeps for
    // why a process ended, written synchronously (no logger exists when the config did not
    // load) before the exit. Text only for a person at a terminal.
    const text = wantsStartFailureText() ? startFailureText(name, err) : JSON.stringify(startFailure(name, err));
    writeSync(2, `${text}\n`);
    process.exit(1);
  }
  node.bus.logger.info({ url: node.url, pid: process.pid, role: name }, `${name} listening`);
}
