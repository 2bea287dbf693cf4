import type { Logger } from '@itinera/core';
import { endpointKey, type EndpointGuard } from '@itinera/adapters';
import { LabelCap, MAX_SEND_HOSTS, type Metrics } from '@itinera/observability';
import type { BusConfig } from './config';

/** Distinct `endpoint` label values before the rest count as `other` (as `host` on itinera_send_total). */
export const MAX_ENDPOINT_LABELS = MAX_SEND_HOSTS;

/** The guarded adapter that reaches an allow-list entry's scheme (`endpointKey` starts with it). */
const ADAPTER_OF_SCHEME: Record<string, string> = { 'http:': 'http', 'https:': 'http', 'ws:': 'ws', 'wss:': 'ws' };

/**
 * The `endpoint` label of every itinera_endpoint_* series: the endpoint keys of the send
 * allow-list first, then the first endpoints met, up to `max`; any other is `other`.
 */
export function endpointLabels(allowList: readonly string[], max = MAX_ENDPOINT_LABELS): LabelCap {
  const cap = new LabelCap(max);
  for (const entry of allowList) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(entry)?.[0].toLowerCase();
    const adapter = scheme ? ADAPTER_OF_SCHEME[scheme] : undefined;
    if (adapter) cap.value(endpointKey(adapter, entry));
  }
  return cap;
}

/**
 * Per-endpoint isolation in `/metrics`: circuit state, calls in flight and waiting (read
 * from the guard on scrape), and calls refused (counted as they happen, so the counter
 * never goes back when the guard's bounded cache forgets an endpoint). The `endpoint`
 * label is capped (`endpointLabels`); endpoints folded into `other` add up, and `other`'s
 * circuit state is the highest of theirs.
 */
export function registerEndpointMetrics(metrics: Metrics, guard: EndpointGuard, allowList: readonly string[] = []): void {
  const labels = endpointLabels(allowList);
  const gauge = (name: string, help: string, read: (s: ReturnType<EndpointGuard['stats']>[number]) => number, combine: (a: number, b: number) => number) =>
    metrics.collected('gauge', name, help, ['endpoint'], (set) => {
      const by = new Map<string, number>();
      for (const s of guard.stats()) {
        const endpoint = labels.value(s.endpoint);
        const seen = by.get(endpoint);
        by.set(endpoint, seen === undefined ? read(s) : combine(seen, read(s)));
      }
      for (const [endpoint, value] of by) set({ endpoint }, value);
    });
  const sum = (a: number, b: number) => a + b;
  gauge(
    'itinera_endpoint_circuit_state',
    'Circuit of each send endpoint in this process: 0 closed, 1 open, 2 half-open (other: the highest).',
    (s) => s.state,
    Math.max,
  );
  gauge('itinera_endpoint_in_flight', 'Calls in flight to each send endpoint in this process.', (s) => s.inFlight, sum);
  gauge('itinera_endpoint_queued', 'Calls waiting for a slot of each send endpoint in this process.', (s) => s.queued, sum);
  const rejected = metrics.counter('itinera_endpoint_rejected_total', 'Calls refused by endpoint isolation, by endpoint and reason (ENDPOINT_BUSY, CIRCUIT_OPEN).', [
    'endpoint',
    'reason',
  ]);
  guard.onRejection((endpoint, reason) => rejected.inc({ endpoint: labels.value(endpoint), reason }));
}

/** A hanging endpoint holds its calls' worker slots until their deadline: at the worker's own limit it stalls every message. */
export function warnEndpointLimits(config: BusConfig, logger: Logger): void {
  if (config.endpointConcurrency < config.workerConcurrency) return;
  logger.warn(
    { endpointConcurrency: config.endpointConcurrency, workerConcurrency: config.workerConcurrency },
    'ITINERA_ENDPOINT_CONCURRENCY is not below ITINERA_WORKER_CONCURRENCY: one hanging endpoint can hold every worker slot until its calls time out',
  );
}
