import type { Logger } from '@itinera/core';
import type { EndpointGuard } from '@itinera/adapters';
import type { Metrics } from '@itinera/observability';
import type { BusConfig } from './config';

/** Per-endpoint isolation in `/metrics`: circuit state, calls in flight and waiting, calls refused. */
export function registerEndpointMetrics(metrics: Metrics, guard: EndpointGuard): void {
  metrics.series('itinera_endpoint_circuit_state', 'Circuit of each send endpoint in this process: 0 closed, 1 open, 2 half-open.', 'gauge', () =>
    guard.stats().map((s) => ({ labels: { endpoint: s.endpoint }, value: s.state })),
  );
  metrics.series('itinera_endpoint_in_flight', 'Calls in flight to each send endpoint in this process.', 'gauge', () =>
    guard.stats().map((s) => ({ labels: { endpoint: s.endpoint }, value: s.inFlight })),
  );
  metrics.series('itinera_endpoint_queued', 'Calls waiting for a slot of each send endpoint in this process.', 'gauge', () =>
    guard.stats().map((s) => ({ labels: { endpoint: s.endpoint }, value: s.queued })),
  );
  metrics.series(
    'itinera_endpoint_rejected_total',
    'Calls refused by endpoint isolation, by endpoint and reason (ENDPOINT_BUSY, CIRCUIT_OPEN).',
    'counter',
    () => guard.rejections().map((r) => ({ labels: { endpoint: r.endpoint, reason: r.reason }, value: r.count })),
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
