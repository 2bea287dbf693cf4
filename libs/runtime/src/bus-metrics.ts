import type { MessageBox, OutboxStats, QueueStats, SessionStore } from '@itinera/core';
import type { DuplexRegistry } from '@itinera/adapters';
import type { Metrics } from '@itinera/observability';

/** Outboxes read per scrape at most: exact below it, the idlest sessions above it. */
export const OUTBOX_SAMPLE = 1000;

/**
 * Metrics read on scrape from the stores they describe, so recording costs the hot path
 * nothing: queue depth and age (BullMQ: getJobCounts and the oldest waiting job), Redis up,
 * open sessions and outbox depth. Each store is asked once per scrape.
 */
export function registerBusMetrics(
  metrics: Metrics,
  deps: { box: MessageBox; queues: () => readonly string[]; sessions: SessionStore; outboxLimit: number },
): void {
  const { box, sessions } = deps;
  let queues: QueueStats[] = [];
  let outbox: OutboxStats | undefined;
  let redisUp = 0;
  metrics.beforeScrape(async () => {
    const [q, o, up] = await Promise.all([
      box.queueStats?.(deps.queues()).catch(() => []) ?? [],
      sessions.outboxStats?.(OUTBOX_SAMPLE).catch(() => undefined),
      box.kind === 'bullmq' ? box.isReady().catch(() => false) : true,
    ]);
    queues = q;
    outbox = o;
    redisUp = up ? 1 : 0;
  });

  if (box.kind === 'bullmq') {
    metrics.collected('gauge', 'itinera_redis_up', '1 when Redis takes writes (the readiness probe), else 0.', [], (set) => set({}, redisUp));
  }
  metrics.collected(
    'gauge',
    'itinera_queue_jobs',
    'Jobs in each queue the bus uses, by state (waiting, active, delayed; embedded box: waiting only).',
    ['queue', 'state'],
    (set) => {
      for (const s of queues) {
        set({ queue: s.queue, state: 'waiting' }, s.waiting);
        if (s.active !== undefined) set({ queue: s.queue, state: 'active' }, s.active);
        if (s.delayed !== undefined) set({ queue: s.queue, state: 'delayed' }, s.delayed);
      }
    },
  );
  metrics.collected(
    'gauge',
    'itinera_queue_oldest_waiting_age_seconds',
    'Age of the oldest waiting job in each queue (0 when none waits; BullMQ box only).',
    ['queue'],
    (set) => {
      for (const s of queues) if (s.oldestWaitingMs !== undefined) set({ queue: s.queue }, s.oldestWaitingMs / 1000);
    },
  );

  if (!sessions.outboxStats) return;
  metrics.collected('gauge', 'itinera_duplex_sessions', 'Duplex sessions open (in the session store: the whole cluster with Redis).', [], (set) =>
    set({}, outbox?.sessions ?? 0),
  );
  metrics.collected(
    'gauge',
    'itinera_duplex_outbox_frames',
    `Unacknowledged outbox frames summed over open sessions (at most ${OUTBOX_SAMPLE} sessions read, idlest first).`,
    [],
    (set) => set({}, outbox?.totalPending ?? 0),
  );
  metrics.collected('gauge', 'itinera_duplex_outbox_frames_max', 'Unacknowledged frames of the fullest outbox among the sessions read.', [], (set) =>
    set({}, outbox?.maxPending ?? 0),
  );
  metrics.collected('gauge', 'itinera_duplex_outbox_limit_frames', 'Pending frames an outbox may hold (ITINERA_OUTBOX_LIMIT).', [], (set) =>
    set({}, deps.outboxLimit),
  );
}

/**
 * Duplex gauges and counters: the registry's transports (WebSocket, long polling, TCP), and
 * every on-ramp that delivers frames itself (`deliveries`, by on-ramp name: dual HTTP).
 */
export function registerDuplexMetrics(
  metrics: Metrics,
  registry: DuplexRegistry,
  deliveries: () => readonly { transport: string; delivered: number; redelivered: number }[] = () => [],
): void {
  metrics.collected(
    'gauge',
    'itinera_duplex_connections',
    'Sessions with a live WebSocket or TCP connection or a held long poll on this node, by transport.',
    ['transport'],
    (set) => {
      const n = registry.connected();
      set({ transport: 'ws' }, n.ws);
      set({ transport: 'poll' }, n.poll);
      set({ transport: 'tcp' }, n.tcp);
    },
  );
  metrics.collected(
    'counter',
    'itinera_callbacks_delivered_total',
    'Outbox frames (callbacks and faults) written to clients by this node, by transport.',
    ['transport'],
    (set) => {
      set({ transport: 'ws' }, registry.delivered.ws);
      set({ transport: 'poll' }, registry.delivered.poll);
      set({ transport: 'tcp' }, registry.delivered.tcp);
      for (const d of deliveries()) set({ transport: d.transport }, d.delivered);
    },
  );
  metrics.collected(
    'counter',
    'itinera_callbacks_redelivered_total',
    'Outbox frames this node wrote to a session again (resume, repeated poll), by transport; a subset of delivered.',
    ['transport'],
    (set) => {
      set({ transport: 'ws' }, registry.redelivered.ws);
      set({ transport: 'poll' }, registry.redelivered.poll);
      set({ transport: 'tcp' }, registry.redelivered.tcp);
      for (const d of deliveries()) set({ transport: d.transport }, d.redelivered);
    },
  );
}
