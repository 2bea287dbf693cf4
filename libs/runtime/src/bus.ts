import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import {
  ItineraError,
  describeRedis,
  formatDetails,
  openRedis,
  type ActivityStore,
  type AuditStore,
  type FaultStore,
  type IdempotencyStore,
  type InvokeHandler,
  type Logger,
  type MessageBox,
  type MessageStore,
  type OnRamp,
  type SendAdapter,
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
import { ALL_ADAPTERS, ALL_ON_RAMPS, AdapterProvider, AdapterSender, EndpointGuard, OPEN_AUTHENTICATOR, registryFor, type Authenticator } from '@itinera/adapters';
import { createAuthenticator } from './auth.factory';
import { registerEndpointMetrics, warnEndpointLimits } from './endpoint-metrics';
import { registerBusMetrics, registerDuplexMetrics } from './bus-metrics';
import { createMessageBox, checkMaxmemoryPolicy, eachMaster } from '@itinera/transport';
import { createSessionStore } from '@itinera/sessions';
import { Metrics, createActivityStore, createLogger, createRecordStores } from '@itinera/observability';
import { redisEndpointOf, type BusConfig } from './config';
import { mountGateway, type MountedGateway } from './mount';
import { TraceLogger } from './trace-logger';
import { LiveView } from './live-view';
import { RunningOnRamps } from './on-ramp-runner';
import { nodeOnRampContext } from './on-ramp-context';

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
  /** Extra on-ramps (after ALL_ON_RAMPS): started on the roles they name, closed first. */
  onRamps?: readonly OnRamp<any>[];
  /** Extra send adapters (beside ALL_ADAPTERS): itineraries may name them in endpoints. */
  sendAdapters?: readonly SendAdapter<any>[];
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
  /** Who did what on the operator endpoints (resubmit, delete, bulk). */
  readonly audit!: AuditStore;
  /** GET /live: throughput, latency, faults, sessions, outboxes and queues now. */
  readonly live!: LiveView;
  /** The on-ramps this node may run: ALL_ON_RAMPS and the application's own. */
  readonly onRamps: readonly OnRamp<any>[] = ALL_ON_RAMPS;
  /** The send adapters' sender: started before the first send, closed after the last. */
  private readonly sender!: AdapterSender;
  private worker?: BusWorker;
  private mounted?: MountedGateway;
  private running?: RunningOnRamps;
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
    const sendAdapters = [...ALL_ADAPTERS, ...(opts.sendAdapters ?? [])];
    const loaded = await loadRegistry(config.itinerariesDir, { services, adapters: sendAdapters, invokables: [...invokables.keys()] });
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
        queueShards: { [WORK_QUEUE]: config.workQueueShards },
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
      auditMax: config.auditMax,
      auditRetentionMs: config.auditRetentionMs,
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
    const provider = new AdapterProvider(sendAdapters, { allowList: config.sendAllowList, allowPrivate: config.sendAllowPrivate, env: config.envFacts });
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
      traceDetail: config.traceDetail,
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
    (bus as { audit: AuditStore }).audit = stores.audit;
    (bus as { live: LiveView }).live = new LiveView({ metrics, box, sessions, queues: () => busQueues(registry) });
    (bus as { onRamps: readonly OnRamp<any>[] }).onRamps = [...ALL_ON_RAMPS, ...(opts.onRamps ?? [])];
    (bus as unknown as { sender: AdapterSender }).sender = adapters;
    return bus;
  }

  /** Mount the on-ramps (gateway role) on the platform's Fastify and HTTP server. */
  mount(app: FastifyInstance, server: Server): void {
    if (!this.roles.gateway) return;
    this.mounted = mountGateway(this, app, server);
  }

  /** Start the send adapters, the worker (work queue and hop queues) and every on-ramp of this node's roles. */
  async start(): Promise<void> {
    const { config, logger } = this;
    await this.sender.start();
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
    this.running = await RunningOnRamps.start(this.onRamps, this.roles, (onRamp, peer) => nodeOnRampContext(this, onRamp, peer, this.mounted), logger);
    if (this.mounted) {
      registerDuplexMetrics(this.metrics, registryFor(this.sessions), () => this.running?.deliveries() ?? []);
      this.mounted.serve();
    }
    logger.info(
      {
        roles: Object.entries(this.roles)
          .filter(([, on]) => on)
          .map(([r]) => r),
        transport: config.transport,
        onRamps: this.running.names(),
        itineraries: this.registry.list().map((i) => `${i.name}@${i.latest}`),
      },
      'bus started',
    );
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
    await this.mounted?.stopSweeper();
    await this.running?.close({ drain: true, reason: 'shutdown', retryAfterMs: this.config.retryAfterMs, timeoutMs: deadline });
    await this.mounted?.close();
    await this.worker?.stop(deadline);
  }

  /** Graceful shutdown, second half (after in-flight HTTP requests): close the box and stores. */
  async stop(): Promise<void> {
    await this.drain();
    if (this.stopped) return;
    this.stopped = true;
    await this.sender.close();
    await this.box.close();
    await this.closeStores();
    this.auth.close();
    this.logger.info({}, 'bus stopped');
    // Logs are written asynchronously; a signal-driven exit follows right after this hook.
    await new Promise<void>((resolve) => (this.logger.flush ? this.logger.flush(() => resolve()) : resolve()));
  }
}

/** The queues a bus uses: the work queue, hop queues and queue on-ramps of the deployed itineraries. */
function busQueues(registry: ItineraryRegistry): string[] {
  const queues = new Set([WORK_QUEUE]);
  for (const it of registry.itineraries()) for (const s of it.steps) if (s.queue) queues.add(s.queue);
  for (const b of registry.queueOnRamps()) queues.add(b.queue);
  return [...queues];
}
