import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, IsolatedCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import { ItineraError, silentLogger, type Logger } from '@itinera/core';
import { EndpointSlots } from './endpoint-slots';

/** Settings of every endpoint's bulkhead and breaker (ITINERA_ENDPOINT_* and ITINERA_BREAKER_*). */
export interface EndpointGuardSettings {
  /** Calls in flight to one endpoint at once. */
  concurrency: number;
  /** Calls waiting for a slot; beyond them ENDPOINT_BUSY. */
  queue: number;
  /** Longest wait for a slot; past it ENDPOINT_BUSY. */
  queueWaitMs: number;
  /** Consecutive unhealthy failures (timeouts, connection errors, 5xx) that open the circuit. */
  breakerFailures: number;
  /** How long an open circuit refuses calls before one trial call (half-open). */
  halfOpenMs: number;
}

export const DEFAULT_ENDPOINT_GUARD: EndpointGuardSettings = { concurrency: 8, queue: 64, queueWaitMs: 500, breakerFailures: 5, halfOpenMs: 10_000 };

/** Endpoints whose breakers are kept; the least recently used idle ones go first. */
const MAX_ENDPOINTS = 1000;
/** Circuit state as the metric shows it. */
export const CIRCUIT_GAUGE = { closed: 0, open: 1, halfOpen: 2 } as const;

export interface EndpointStats {
  endpoint: string;
  /** 0 closed, 1 open, 2 half-open. */
  state: number;
  inFlight: number;
  queued: number;
}

export type EndpointRejection = 'ENDPOINT_BUSY' | 'CIRCUIT_OPEN';
type Rejection = EndpointRejection;

class EndpointPolicy {
  readonly slots: EndpointSlots;
  readonly breaker: CircuitBreakerPolicy;
  readonly rejected: Record<Rejection, number> = { ENDPOINT_BUSY: 0, CIRCUIT_OPEN: 0 };
  openedAt = 0;
  lastFailure = '';

  constructor(
    readonly key: string,
    readonly settings: EndpointGuardSettings,
    counts: (err: Error) => boolean,
  ) {
    this.slots = new EndpointSlots(settings.concurrency, settings.queue, settings.queueWaitMs);
    this.breaker = circuitBreaker(handleWhen(counts), {
      halfOpenAfter: settings.halfOpenMs,
      breaker: new ConsecutiveBreaker(settings.breakerFailures),
    });
  }

  get state(): number {
    const s = this.breaker.state;
    if (s === CircuitState.HalfOpen) return CIRCUIT_GAUGE.halfOpen;
    return s === CircuitState.Closed ? CIRCUIT_GAUGE.closed : CIRCUIT_GAUGE.open;
  }

  get inFlight(): number {
    return this.slots.inFlight;
  }

  get queued(): number {
    return this.slots.waiting;
  }

  /** Open (and not yet due for a trial) or half-open with its one trial call running: refuse at once. */
  get refusing(): boolean {
    const s = this.breaker.state;
    if (s === CircuitState.Open) return Date.now() - this.openedAt < this.settings.halfOpenMs;
    return s === CircuitState.HalfOpen || s === CircuitState.Isolated;
  }

  get idle(): boolean {
    return this.breaker.state === CircuitState.Closed && this.inFlight === 0 && this.queued === 0;
  }
}

/** Thrown by the guard when a call outlives its deadline (the adapter ignored its own timeout). */
class DeadlineError extends ItineraError {}

/**
 * Failures that say the endpoint is unhealthy: the guard's deadline, and transient
 * adapter errors (timeouts, connection errors, 5xx) that are not an HTTP 4xx.
 * A refused or invalid request, a 4xx or a shutdown says nothing about its health.
 */
export function isUnhealthy(err: unknown): boolean {
  if (err instanceof DeadlineError) return true;
  if (!(err instanceof ItineraError) || !err.transient) return false;
  if (err.code === 'ENDPOINT_BUSY' || err.code === 'CIRCUIT_OPEN' || (err as { shutdown?: boolean }).shutdown) return false;
  const status = (err.cause as { status?: unknown } | undefined)?.status;
  return !(typeof status === 'number' && status >= 400 && status < 500);
}

export interface EndpointGuardOptions {
  logger?: Logger;
  /** Aborted on shutdown: calls waiting for a slot stop waiting. */
  signal?: AbortSignal;
}

/**
 * Isolation between endpoints (the bulkhead and circuit-breaker patterns; the breaker
 * is cockatiel's): each endpoint gets a bounded number of calls in flight, a wait queue
 * bounded in length and time, and a breaker that refuses calls for a while after
 * consecutive unhealthy failures. A hanging endpoint then holds `concurrency` worker
 * slots for at most the call's deadline and its waiters for at most `queueWaitMs`, after
 * which its messages are refused at once: it delays only its own messages. State is
 * per process (each worker has its own breakers, as with Polly or cockatiel).
 */
export class EndpointGuard {
  private readonly endpoints = new Map<string, EndpointPolicy>();
  private readonly logger: Logger;
  private readonly rejectionListeners: ((endpoint: string, reason: EndpointRejection) => void)[] = [];

  constructor(
    readonly settings: EndpointGuardSettings = DEFAULT_ENDPOINT_GUARD,
    private readonly opts: EndpointGuardOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Run `fn` (one adapter call) under the endpoint's breaker and bulkhead, within
   * `deadlineMs`. `fn` gets a signal aborted at the deadline. Throws ENDPOINT_BUSY or
   * CIRCUIT_OPEN (transient) when refused, or whatever `fn` throws.
   */
  async call<T>(key: string, overrides: Record<string, unknown>, deadlineMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const p = this.policy(key, overrides);
    // Checked before taking a slot: an open circuit refuses at once, it never queues.
    if (p.refusing) throw this.explain(p, new BrokenCircuitError());
    const slot = p.slots.acquire(this.opts.signal);
    if (!(slot === true || (await slot))) throw this.busy(p);
    try {
      return await p.breaker.execute(() => withDeadline(key, deadlineMs, fn, this.opts.signal));
    } catch (err) {
      throw this.explain(p, err);
    } finally {
      p.slots.release();
    }
  }

  /** Circuit state, calls in flight and waiting, per endpoint (for metrics). */
  stats(): EndpointStats[] {
    return [...this.endpoints.values()].map((p) => ({ endpoint: p.key, state: p.state, inFlight: p.inFlight, queued: p.queued }));
  }

  /**
   * Tell `fn` of every refused call as it happens: a counter fed from here stays monotonic,
   * whereas `rejections()` forgets an endpoint the bounded cache drops.
   */
  onRejection(fn: (endpoint: string, reason: EndpointRejection) => void): void {
    this.rejectionListeners.push(fn);
  }

  /** Calls refused, per endpoint and reason, of the endpoints still remembered. */
  rejections(): { endpoint: string; reason: Rejection; count: number }[] {
    const out: { endpoint: string; reason: Rejection; count: number }[] = [];
    for (const p of this.endpoints.values())
      for (const reason of ['ENDPOINT_BUSY', 'CIRCUIT_OPEN'] as const)
        if (p.rejected[reason] > 0) out.push({ endpoint: p.key, reason, count: p.rejected[reason] });
    return out;
  }

  private policy(key: string, overrides: Record<string, unknown>): EndpointPolicy {
    const hit = this.endpoints.get(key);
    if (hit) {
      // Least recently used last: re-insert.
      this.endpoints.delete(key);
      this.endpoints.set(key, hit);
      return hit;
    }
    if (this.endpoints.size >= MAX_ENDPOINTS) {
      for (const [k, p] of this.endpoints)
        if (p.idle) {
          this.endpoints.delete(k);
          break;
        }
    }
    // Failures while the bus shuts down are ours, not the endpoint's.
    const p = new EndpointPolicy(key, this.settingsFor(overrides), (err) => !this.opts.signal?.aborted && isUnhealthy(err));
    p.breaker.onBreak(() => {
      p.openedAt = Date.now();
      this.logger.warn({ endpoint: key, failures: p.settings.breakerFailures, halfOpenMs: p.settings.halfOpenMs, last: p.lastFailure }, 'circuit opened');
    });
    p.breaker.onHalfOpen(() => this.logger.info({ endpoint: key }, 'circuit half-open: trial call'));
    p.breaker.onReset(() => this.logger.info({ endpoint: key }, 'circuit closed'));
    p.breaker.onFailure((e) => {
      if (e.handled && 'error' in e.reason) p.lastFailure = (e.reason.error as Error).message?.slice(0, 300) ?? '';
    });
    // Past the cap with nothing idle, the endpoint still gets its own policy, just not remembered.
    if (this.endpoints.size < MAX_ENDPOINTS) this.endpoints.set(key, p);
    return p;
  }

  /** Per-endpoint overrides over the process settings. The first call's settings hold until the endpoint is forgotten. */
  private settingsFor(o: Record<string, unknown>): EndpointGuardSettings {
    const s = this.settings;
    const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
    return {
      concurrency: num(o.maxConcurrency, s.concurrency),
      queue: num(o.maxQueue, s.queue),
      queueWaitMs: num(o.maxQueueWaitMs, s.queueWaitMs),
      breakerFailures: num(o.breakerFailures, s.breakerFailures),
      halfOpenMs: num(o.breakerHalfOpenMs, s.halfOpenMs),
    };
  }

  private rejected(p: EndpointPolicy, reason: EndpointRejection): void {
    p.rejected[reason]++;
    for (const fn of this.rejectionListeners) fn(p.key, reason);
  }

  private busy(p: EndpointPolicy): ItineraError {
    if (this.opts.signal?.aborted) {
      const e = new ItineraError('SEND_FAILED', `call to ${p.key} cancelled while waiting for a slot: the bus is shutting down; the step will be retried`, {
        transient: true,
      });
      return Object.assign(e, { shutdown: true });
    }
    this.rejected(p, 'ENDPOINT_BUSY');
    return new ItineraError(
      'ENDPOINT_BUSY',
      `endpoint ${p.key} has ${p.settings.concurrency} calls in flight that did not free a slot within ${p.settings.queueWaitMs} ms (or ${p.settings.queue} already wait); the step is retried by its retry policy (raise maxConcurrency in the endpoint config if the endpoint can take more)`,
      { transient: true },
    );
  }

  private explain(p: EndpointPolicy, err: unknown): unknown {
    if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
      this.rejected(p, 'CIRCUIT_OPEN');
      const left = Math.max(0, p.openedAt + p.settings.halfOpenMs - Date.now());
      return new ItineraError(
        'CIRCUIT_OPEN',
        `the circuit for endpoint ${p.key} is open after ${p.settings.breakerFailures} consecutive failures${p.lastFailure ? ` (last: ${p.lastFailure})` : ''}; calls are refused for ${left} ms more, then one trial call decides; the step is retried by its retry policy`,
        { transient: true },
      );
    }
    if (isUnhealthy(err) && p.breaker.state === CircuitState.Open && err instanceof ItineraError) {
      // The failure that opened (or re-opened) the circuit says so, for the trace.
      return new ItineraError(err.code, `${err.message} (the circuit for endpoint ${p.key} is now open for ${p.settings.halfOpenMs} ms)`, {
        transient: err.transient,
        details: err.details,
        cause: err.cause,
      });
    }
    return err;
  }
}

/** Run `fn` with a deadline: the slot is freed at the deadline even if the adapter does not stop. */
function withDeadline<T>(key: string, ms: number, fn: (signal: AbortSignal) => Promise<T>, shutdown?: AbortSignal): Promise<T> {
  const ac = new AbortController();
  const signal = shutdown ? AbortSignal.any([shutdown, ac.signal]) : ac.signal;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the abort so the caller sees this error, not the adapter's reaction to it.
      reject(
        new DeadlineError('SEND_FAILED', `call to ${key} did not finish within ${ms} ms; the endpoint hangs, the step will be retried`, { transient: true }),
      );
      ac.abort();
    }, ms);
  });
  return Promise.race([fn(signal), deadline]).finally(() => clearTimeout(timer));
}
