import type { Logger } from '@itinera/core';
import type { EndpointGuard } from '@itinera/adapters';
import type { Metrics } from '@itinera/observability';
import type { BusConfig } from './config';

/**
 * Per-endpoint isolation in `/metrics`, read from the guard on scrape: circuit state, calls
 * in flight and waiting, calls refused. The guard keeps a bounded set of endpoints (least
 * recently used idle ones go first), so the `endpoint` label is bounded too.
 */
export function registerEndpointMetrics(metrics: Metrics, guard: EndpointGuard): void {
  metrics.collected(
    'gauge',
    'itinera_endpoint_circuit_state',
    'Circuit of each send endpoint in this process: 0 closed, 1 open, 2 half-open.',
    ['endpoint'],
    (set) => {
      for (const s of guard.stats()) set({ endpoint: s.endpoint }, s.state);
    },
  );
  metrics.collected('gauge', 'itinera_endpoint_in_flight', 'Calls in flight to each send endpoint in this process.', ['endpoint'], (set) => {
    for (const s of guard.stats()) set({ endpoint: s.endpoint }, s.inFlight);
  });
  metrics.collected('gauge', 'itinera_endpoint_queued', 'Calls waiting for a slot of each send endpoint in this process.', ['endpoint'], (set) => {
    for (const s of guard.stats()) set({ endpoint: s.endpoint }, s.queued);
  });
  metrics.collected(
    'counter',
    'itinera_endpoint_rejected_total',
    'Calls refused by endpoint isolation, by endpoint and reason (ENDPOINT_BUSY, CIRCUIT_OPEN).',
    ['endpoint', 'reason'],
    (set) => {
      for (const r of guard.rejections()) set({ endpoint: r.endpoint, reason: r.reason }, r.count);
    },
  );
}

/** A hanging endpoint holds its calls' worker slots until their deadline: at the worker's own limit it stalls every message. */
export function warnEndpointLimits(config: BusConfig, logger: Logger): void {
  if (config.endpointConcurrency < config.workerConcurrency) return;
  logger.warn(
    { endpointConcurrency: config.endpointConcurrency, workerConcurrency: config.workerConcurrency },
    'ITINERA_ENDPOINT_CONCURRENCY is not below ITINERA_WORKER_CONCURRENCY: one hanging endpoint can hold every worker slot until its calls time out',
  );
}
