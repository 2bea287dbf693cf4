import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import {
  ItineraError,
  describeRedis,
  formatDetails,
  openRedis,
  type ActivityStore,
  newId,
  toItineraError,
  type Consumer,
  type FaultStore,
  type IdempotencyStore,
  type InvokeHandler,
  type Logger,
  type Principal,
  type MessageBox,
  type MessageStore,
  type SessionStore,
  type StepRuntime,
  type StepService,
} from '@itinera/core';
import {
  ActivityTracker,
  BusGateway,
  BusWorker,
  Expressions,
  FaultRecorder,
  ItineraryRegistry,
  ItineraryRunner,
  ReplyHub,
  Resolvers,
  Schemas,
  loadRegistry,
  resubmitFault,
  type FaultRepair,
  type Resubmitted,
} from '@itinera/engine';
import { ALL_STEPS } from '@itinera/steps';
import { ALL_ADAPTERS, AdapterProvider, AdapterSender, closeWsSendPool, EndpointGuard, OPEN_AUTHENTICATOR, type Authenticator } from '@itinera/adapters';
import { createAuthenticator } from './auth.factory';
import { registerEndpointMetrics, warnEndpointLimits } from './endpoint-metrics';
import { registerBusMetrics } from './bus-metrics';
import { createMessageBox, checkMaxmemoryPolicy, eachMaster } from '@itinera/transport';
import { createSessionStore } from '@itinera/sessions';
import { Metrics, createActivityStore, createLogger, createRecordStores, traceContextFrom } from '@itinera/observability';
import { redisEndpointOf, type BusConfig } from './config';
import { mountGateway, type MountedGateway } from './mount';
import { TraceLogger } from './trace-logger';

export interface BusRoles {
  gateway: boolean;
  worker: boolean;
}

export interface BusOptions {
  config: BusConfig;
  roles: BusRoles;
  invokables?: ReadonlyMap<string, InvokeHandler>;
  logger?: Logger;
  /** Extra step services (beside ALL_STEPS). */
  services?: StepService[];
}

/** The internal queue workers consume after publication. */
export const WORK_QUEUE = 'itinera.work';

/**
 * One bus node: loads and validates the itineraries, builds the message box,
 * stores, runner, gateway and worker, and mounts the on-ramps. The apps (bus,
 * gateway, worker) differ only in their roles.
 */
export class Bus {
  readonly metrics = new Metrics();
  /** Turns credentials into principals for every on-ramp (set by create from the settings). */
  readonly auth: Authenticator = OPEN_AUTHENTICATOR;
  /** Business activity monitoring: milestones per correlation id (Redis on BullMQ, memory otherwise). */
  readonly activities!: ActivityStore;
  private worker?: BusWorker;
  private mounted?: MountedGateway;
  private readonly queueConsumers: Consumer[] = [];
  private stopped = false;
  private drained = false;

  private constructor(
    readonly config: BusConfig,
    readonly roles: BusRoles,
    readonly logger: Logger,
    readonly registry: ItineraryRegistry,
    readonly box: MessageBox,
    readonly sessions: SessionStore,
    readonly messages: MessageStore,
    readonly faults: FaultStore,
    readonly idempotency: IdempotencyStore,
    readonly gateway: BusGateway,
    readonly runner: ItineraryRunner,
    readonly recorder: FaultRecorder,
    readonly replies: ReplyHub,
    private readonly closeStores: () => Promise<void>,
  ) {}

  static async create(opts: BusOptions): Promise<Bus> {
    const { config } = opts;
    const logger = opts.logger ?? createLogger({ level: config.logLevel, redact: config.logRedact, base: { node: config.node } });
    const invokables = opts.invokables ?? new Map<string, InvokeHandler>();
    const services = [...ALL_STEPS, ...(opts.services ?? [])] as StepService[];
    const loaded = await loadRegistry(config.itinerariesDir, { services, adapters: ALL_ADAPTERS, invokables: [...invokables.keys()] });
    if (!loaded.registry || loaded.errors.length) {
      throw new ItineraError('ITINERARIES_INVALID', formatDetails(loaded.errors), { details: loaded.errors });
    }
    const registry = loaded.registry;
    // Before any connection: a bad keys file or JWT key stops the start at once.
    const auth = createAuthenticator(config, logger);

    const redis = config.transport === 'bullmq' ? redisEndpointOf(config) : undefined;
    if (redis) {
      const client = openRedis(redis, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
      try {
        await client.connect().catch((err: unknown) => {
          throw new ItineraError(
            'TRANSPORT_UNAVAILABLE',
            `cannot reach ${describeRedis(redis)} (${err instanceof Error ? err.message : String(err)}); start Redis there or fix REDIS_URL (or REDIS_CLUSTER_NODES, REDIS_SENTINELS)`,
          );
        });
        // Every master of a cluster keeps queued messages: each must refuse to evict them.
        await eachMaster(client, (node) => checkMaxmemoryPolicy(node, { allowOtherPolicy: config.allowEviction, logger }));
      } finally {
        client.disconnect();
      }
    }
    const box = await createMessageBox({
      transport: config.transport,
      redis,
      prefix: config.redisPrefix,
      logger,
      bullmq: {
        worker: {
          lockDurationMs: config.bullmqLockMs,
          stalledIntervalMs: config.bullmqStalledIntervalMs,
          maxStalledCount: 3,
          parkMs: config.orderParkMs,
        },
      },
    });
    const sessions = createSessionStore({ kind: redis ? 'redis' : 'memory', redis, ttlMs: config.sessionTtlMs, prefix: config.redisPrefix, logger });
    const stores = createRecordStores({
      redis,
      prefix: config.redisPrefix,
      recordTtlMs: config.recordTtlMs,
      maxRecords: redis ? undefined : config.memoryRecords,
      recordMaxBytes: config.recordMaxBytes,
      faultMaxBytes: config.faultMaxBytes,
      timeoutMs: 1000,
      logger,
    });

    const activities = createActivityStore({
      redis,
      prefix: config.redisPrefix,
      retentionMs: config.bamRetentionMs,
      maxActivities: config.bamMaxActivities,
      queryMax: config.bamQueryMax,
      timeoutMs: 1000,
      logger,
    });
    const expressions = new Expressions(
      registry,
      { timeoutMs: config.jsonataTimeoutMs, maxDepth: config.jsonataMaxDepth, maxString: config.jsonataMaxString, maxSequence: config.jsonataMaxItems },
      { isolation: config.jsonataIsolation, workers: config.jsonataWorkers, workerMemoryMb: config.jsonataWorkerMemoryMb },
    );
    const schemas = new Schemas(registry.schemas());
    const resolvers = new Resolvers({ registry, expressions });
    const replies = new ReplyHub(stores.messages);
    const provider = new AdapterProvider(ALL_ADAPTERS, { allowList: config.sendAllowList, allowPrivate: config.sendAllowPrivate, env: config.envFacts });
    const guard = new EndpointGuard(
      {
        concurrency: config.endpointConcurrency,
        queue: config.endpointQueue,
        queueWaitMs: config.endpointQueueWaitMs,
        breakerFailures: config.breakerFailures,
        halfOpenMs: config.breakerHalfOpenMs,
      },
      { logger },
    );
    warnEndpointLimits(config, logger);
    const metrics = new Metrics();
    metrics.limitHosts(config.sendAllowList);
    const adapters = new AdapterSender(provider, {
      logger,
      box,
      guard,
      maxResponseBytes: config.sendMaxResponseBytes,
      onSent: (adapter, address, outcome) => metrics.sent(adapter, address, outcome),
    });
    const pushOptions = { limit: config.outboxLimit, overflow: config.outboxOverflow };
    const runtime: StepRuntime = {
      expressions,
      schemas,
      adapters,
      sessions,
      box,
      replies,
      invokables,
      logger,
      node: config.node,
      callbackDefaults: pushOptions,
      env: config.envFacts,
    };
    const trace = new TraceLogger(logger, metrics);
    registerEndpointMetrics(metrics, guard, config.sendAllowList);
    registerBusMetrics(metrics, { box, sessions, outboxLimit: config.outboxLimit, queues: () => busQueues(registry) });
    const runner = new ItineraryRunner({
      itineraries: registry,
      resolvers,
      services: new Map(services.map((s) => [s.name, s])),
      runtime,
      observer: trace,
      activity: new ActivityTracker({ store: activities, expressions, logger }),
    });
    const recorder = new FaultRecorder({ faults: stores.faults, messages: stores.messages, sessions, replies, logger, metrics, pushOptions });
    const gateway = new BusGateway({
      itineraries: registry,
      select: (m) => resolvers.selectItinerary(runner.inboundFacts(m), config.selectorPolicy),
      schemas,
      runner,
      box,
      messages: stores.messages,
      idempotency: stores.idempotency,
      replies,
      logger,
      metrics,
      workQueue: WORK_QUEUE,
      idempotencyTtlMs: config.idempotencyTtlMs,
      node: config.node,
    });
    const bus = new Bus(
      config,
      opts.roles,
      logger,
      registry,
      box,
      sessions,
      stores.messages,
      stores.faults,
      stores.idempotency,
      gateway,
      runner,
      recorder,
      replies,
      async () => {
        await sessions.close();
        await stores.close();
        await activities.close();
        await expressions.close();
      },
    );
    (bus as { metrics: Metrics }).metrics = metrics;
    (bus as { auth: Authenticator }).auth = auth;
    (bus as { activities: ActivityStore }).activities = activities;
    return bus;
  }

  /** Mount the on-ramps (gateway role) on the platform's Fastify and HTTP server. */
  mount(app: FastifyInstance, server: Server): void {
    if (!this.roles.gateway) return;
    this.mounted = mountGateway(this, app, server);
  }

  /** Start consuming: the work queue and hop queues (worker), queue on-ramps (gateway). */
  async start(): Promise<void> {
    const { config, logger } = this;
    if (this.roles.worker) {
      this.worker = new BusWorker({
        runner: this.runner,
        box: this.box,
        messages: this.messages,
        faults: this.recorder,
        replies: this.replies,
        logger,
        metrics: this.metrics,
        workQueue: WORK_QUEUE,
        concurrency: config.workerConcurrency,
        attempts: config.deliveryAttempts,
        backoffMs: 200,
      });
      const hops = new Set<string>();
      for (const it of this.registry.itineraries()) for (const s of it.steps) if (s.queue) hops.add(s.queue);
      await this.worker.start(hops);
    }
    if (this.roles.gateway) {
      for (const binding of this.registry.queueOnRamps()) {
        const consumer = await this.box.consume<Record<string, unknown>>(
          binding.queue,
          (job) => this.acceptQueueJob(binding.itinerary, binding.queue, job.data, job.id),
          {
            concurrency: binding.concurrency ?? 4,
            attempts: config.deliveryAttempts,
            backoffMs: 200,
            onDeadLetter: (job, error) => this.queueJobFault(binding.queue, binding.itinerary, job.data, toItineraError(error), job.attempt),
          },
        );
        this.queueConsumers.push(consumer);
      }
    }
    logger.info(
      {
        roles: Object.entries(this.roles)
          .filter(([, on]) => on)
          .map(([r]) => r),
        transport: config.transport,
        itineraries: this.registry.list().map((i) => `${i.name}@${i.latest}`),
      },
      'bus started',
    );
  }

  /**
   * A job on a queue on-ramp: `{ itinerary?, version?, action?, headers?, credential?, principal?, traceparent?, tracestate?, body }`. Bad input
   * becomes a fault, never a crash; so does a job without a valid credential (UNAUTHORIZED) when auth is
   * required and the queue's producers are not trusted (ITINERA_QUEUE_TRUSTED).
   */
  private async acceptQueueJob(itinerary: string, queue: string, data: Record<string, unknown>, jobId: string): Promise<void> {
    const { credential, principal: claimed, traceparent, tracestate, ...job } = data && typeof data === 'object' ? data : { body: data };
    // A job's trace context is optional; an invalid one is ignored, as on HTTP.
    const traceContext = traceContextFrom(traceparent, tracestate);
    let principal: Principal | undefined;
    try {
      principal = await this.auth.authenticateJob(queue, credential, claimed);
      await this.gateway.accept({
        principal,
        itinerary: typeof job.itinerary === 'string' ? job.itinerary : itinerary,
        version: typeof job.version === 'string' ? job.version : undefined,
        action: typeof job.action === 'string' ? job.action : undefined,
        headers: (job.headers && typeof job.headers === 'object' ? job.headers : {}) as Record<string, string>,
        body: 'body' in job ? job.body : job,
        // A queue send carries its message's correlation id on: one activity across itineraries.
        ...correlationOf(job.headers),
        transport: 'queue',
        queue,
        idempotencyKey: `queue:${queue}:${jobId}`,
        ...(traceContext ? { traceContext } : {}),
      });
    } catch (err) {
      const e = toItineraError(err);
      if (e.transient) throw e;
      await this.queueJobFault(queue, itinerary, data, e, 1, principal);
    }
  }

  private async queueJobFault(queue: string, itinerary: string, data: unknown, error: ItineraError, attempts: number, principal?: Principal): Promise<void> {
    const id = newId();
    // The job's credential is a secret: the fault keeps the job without it.
    let kept = data;
    if (data && typeof data === 'object' && !Array.isArray(data) && 'credential' in data) {
      const { credential: _secret, ...rest } = data as Record<string, unknown>;
      kept = rest;
    }
    const envelope = {
      id,
      correlationId: id,
      body: kept,
      ...(principal ? { principal } : {}),
      headers: {},
      context: {},
      itinerary: { name: itinerary, version: '', cursor: 0 },
      origin: { transport: 'queue' as const, queue },
      trace: [],
      createdAt: new Date().toISOString(),
    };
    await this.faults.add({
      id: newId(),
      messageId: id,
      correlationId: id,
      itinerary,
      attempts,
      error: { code: error.code, message: error.message },
      envelope,
      at: envelope.createdAt,
    });
    this.logger.error({ queue, itinerary, error: error.toJSON() }, 'queue on-ramp refused a job; kept as a fault');
  }

  /** Run a fault's message again (optionally repaired) from the step that failed or `repair.fromStep`. */
  resubmit(faultId: string, repair?: FaultRepair): Promise<Resubmitted> {
    const { faults, messages, box, registry, config, logger } = this;
    return resubmitFault({ faults, messages, box, itineraries: registry, workQueue: WORK_QUEUE, node: config.node, logger }, faultId, repair);
  }

  async ready(): Promise<boolean> {
    return this.box.isReady();
  }

  /**
   * Resolves when this node can take messages; rejects with an ItineraError saying why not.
   * On Redis the box's probe is a write, and the stores share that Redis: a Redis refusing
   * writes (maxmemory reached) is REDIS_OUT_OF_MEMORY, not ready.
   */
  async checkReady(): Promise<void> {
    if (this.box.checkReady) return this.box.checkReady();
    if (!(await this.box.isReady())) {
      throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the message box is unreachable; the node takes no messages until it is back', { transient: true });
    }
  }

  /**
   * Graceful shutdown, first half (before the HTTP server closes): stop taking
   * work, tell duplex clients `closing` with retryAfterMs, finish in-flight
   * jobs within the deadline.
   */
  async drain(): Promise<void> {
    if (this.drained) return;
    this.drained = true;
    const deadline = this.config.shutdownTimeoutMs;
    this.gateway.drain();
    await this.mounted?.close({ reason: 'shutdown', retryAfterMs: this.config.retryAfterMs });
    await Promise.all(this.queueConsumers.map((c) => c.close(deadline)));
    await this.worker?.stop(deadline);
  }

  /** Graceful shutdown, second half (after in-flight HTTP requests): close the box and stores. */
  async stop(): Promise<void> {
    await this.drain();
    if (this.stopped) return;
    this.stopped = true;
    await closeWsSendPool().catch(() => undefined);
    await this.box.close();
    await this.closeStores();
    this.auth.close();
    this.logger.info({}, 'bus stopped');
    // Logs are written asynchronously; a signal-driven exit follows right after this hook.
    await new Promise<void>((resolve) => (this.logger.flush ? this.logger.flush(() => resolve()) : resolve()));
  }
}

/** The correlation id a queue job carries in its `itinera-correlation-id` header, if any. */
function correlationOf(headers: unknown): { correlationId?: string } {
  const id = headers && typeof headers === 'object' ? (headers as Record<string, unknown>)['itinera-correlation-id'] : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? { correlationId: id } : {};
}

/** The queues a bus uses: the work queue, hop queues and queue on-ramps of the deployed itineraries. */
function busQueues(registry: ItineraryRegistry): string[] {
  const queues = new Set([WORK_QUEUE]);
  for (const it of registry.itineraries()) for (const s of it.steps) if (s.queue) queues.add(s.queue);
  for (const b of registry.queueOnRamps()) queues.add(b.queue);
  return [...queues];
}
