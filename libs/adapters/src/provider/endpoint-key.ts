import type { ConfigSpec, SendAdapter } from '@itinera/core';
import { MAX_RETRY_WAIT_MS } from '../http/http.send';
import { normalizeUrl, redactAddress } from './allow-list';

/**
 * What an endpoint is for isolation, how long one call to it may take, and the
 * per-endpoint options every guarded adapter takes: the endpoint guard's inputs.
 */

/** Deadline of a call whose adapter declares no `timeoutMs`. */
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * Per-endpoint overrides, shared by every adapter that reaches an outside endpoint:
 * the provider validates them with the adapter's own options (see `withEndpointGuard`).
 */
export const ENDPOINT_GUARD_SPEC: ConfigSpec = {
  maxConcurrency: {
    type: 'integer',
    description: 'Calls this worker process makes to the endpoint at once (default ITINERA_ENDPOINT_CONCURRENCY).',
    minimum: 1,
    maximum: 10_000,
    examples: [4],
  },
  maxQueue: {
    type: 'integer',
    description: 'Calls that wait for a free slot; beyond them the step fails ENDPOINT_BUSY (default ITINERA_ENDPOINT_QUEUE).',
    minimum: 0,
    maximum: 100_000,
    examples: [16],
  },
  maxQueueWaitMs: {
    type: 'integer',
    description: 'Longest wait for a free slot; past it the step fails ENDPOINT_BUSY (default ITINERA_ENDPOINT_QUEUE_WAIT_MS).',
    minimum: 1,
    maximum: 300_000,
    examples: [2000],
  },
  breakerFailures: {
    type: 'integer',
    description: 'Consecutive timeouts, connection errors or 5xx answers that open the circuit (default ITINERA_BREAKER_FAILURES).',
    minimum: 1,
    maximum: 10_000,
    examples: [3],
  },
  breakerHalfOpenMs: {
    type: 'integer',
    description: 'How long an open circuit refuses calls (CIRCUIT_OPEN) before one trial call (default ITINERA_BREAKER_HALF_OPEN_MS).',
    minimum: 100,
    maximum: 3_600_000,
    examples: [30000],
  },
};

/** The adapter with the guard's per-endpoint options added to its spec: its calls are guarded. */
export function withEndpointGuard<O>(adapter: SendAdapter<O>): SendAdapter<O> {
  return { ...adapter, spec: { ...adapter.spec, ...ENDPOINT_GUARD_SPEC } };
}

/** Whether the sender guards this adapter's calls: it declares the guard's options (local adapters do not). */
export const isGuarded = (adapter: SendAdapter<any>): boolean => adapter.spec.maxConcurrency === ENDPOINT_GUARD_SPEC.maxConcurrency;

/**
 * What one endpoint is, for isolation: adapter, scheme, host, port and the first
 * path segment (`http://api.test:80/orders`). Never credentials nor the query, so
 * it is safe in metrics and logs.
 */
export function endpointKey(adapter: string, address: string): string {
  // The allow-list's normalisation, so `..`, case and default ports cannot split one endpoint in two.
  const url = normalizeUrl(address);
  if (!url) return `${adapter}:${redactAddress(address).slice(0, 200)}`;
  const first = url.path.split('/')[1] ?? '';
  return `${adapter}:${url.scheme}//${url.host}${url.port ? `:${url.port}` : ''}/${first}`.slice(0, 300);
}

/** The time one adapter call may take, its own retries included; past it the guard frees the slot. */
export function callDeadlineMs(options: Record<string, unknown>): number {
  const timeout = typeof options.timeoutMs === 'number' ? options.timeoutMs : DEFAULT_CALL_TIMEOUT_MS;
  const retries = typeof options.retries === 'number' ? options.retries : 0;
  const backoff = typeof options.retryBackoffMs === 'number' ? options.retryBackoffMs : 0;
  let waits = 0;
  for (let i = 0; i < retries; i++) waits += Math.min(backoff * 2 ** i, MAX_RETRY_WAIT_MS);
  // A little slack so the adapter's own timeout, with its clearer message, fires first.
  return timeout * (retries + 1) + waits + 1000;
}
