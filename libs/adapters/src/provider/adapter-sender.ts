import {
  silentLogger,
  type Adapters,
  type Endpoint,
  type Logger,
  type MessageBox,
  type OutboundMessage,
  type SendAdapter,
  type SendAdapterParts,
  type SendContext,
  type SendOutcome,
  messageLogFields,
} from '@itinera/core';
import type { AdapterProvider, ResolvedEndpoint } from './adapter-provider';
import { redactAddress } from './allow-list';
import { EndpointGuard } from './endpoint-guard';
import { callDeadlineMs, endpointKey, isGuarded } from './endpoint-key';

export interface AdapterSenderOptions {
  logger?: Logger;
  /** The message box, for adapters that declare `needs: ['box']` (the queue adapter publishes to it). */
  box?: MessageBox;
  /** Aborted on shutdown: sends in flight stop waiting (and are retried elsewhere). */
  signal?: AbortSignal;
  /** Per-endpoint bulkheads and circuit breakers around every guarded adapter call (a default one when omitted). */
  guard?: EndpointGuard;
  /** Largest downstream answer adapters read (ITINERA_SEND_MAX_RESPONSE_BYTES); adapters default to 1 MiB. */
  maxResponseBytes?: number;
  /** Told every call's outcome: `ok`, or the error's code (metrics). */
  onSent?(adapter: string, address: string, outcome: string): void;
}

/** The `Adapters` a step runtime uses: resolve through the provider, then send. */
export class AdapterSender implements Adapters {
  private readonly logger: Logger;
  private readonly ctx: SendContext;
  private readonly parts: SendAdapterParts;
  private readonly contexts = new WeakMap<SendAdapter<any>, SendContext>();
  private readonly onSent?: AdapterSenderOptions['onSent'];
  readonly guard: EndpointGuard;

  constructor(
    readonly provider: AdapterProvider,
    opts: AdapterSenderOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.onSent = opts.onSent;
    this.guard = opts.guard ?? new EndpointGuard(undefined, { logger: this.logger, signal: opts.signal });
    this.parts = opts.box ? { box: opts.box } : {};
    this.ctx = {
      logger: this.logger,
      allowList: provider.allowList,
      allowPrivate: provider.allowPrivate,
      maxResponseBytes: opts.maxResponseBytes,
      signal: opts.signal,
    };
  }

  /** The parts of the bus an adapter declared it needs, and only those. */
  private partsFor(adapter: SendAdapter<any>): SendAdapterParts {
    const out: SendAdapterParts = {};
    for (const need of adapter.needs ?? []) if (this.parts[need] !== undefined) out[need] = this.parts[need];
    return out;
  }

  /** The context of one adapter's sends: the shared one plus its declared parts. */
  private contextFor(adapter: SendAdapter<any>): SendContext {
    let ctx = this.contexts.get(adapter);
    if (!ctx) this.contexts.set(adapter, (ctx = { ...this.ctx, ...this.partsFor(adapter) }));
    return ctx;
  }

  /** Start every adapter that has a lifecycle (once, before the first send), each with the parts it declared. */
  async start(): Promise<void> {
    for (const adapter of this.provider.list()) await adapter.start?.({ logger: this.logger, ...this.partsFor(adapter) });
  }

  /** Close every adapter that has a lifecycle, in reverse order; one failing does not keep the others open. */
  async close(): Promise<void> {
    for (const adapter of [...this.provider.list()].reverse()) {
      await adapter.close?.().catch((err: unknown) => this.logger.warn({ adapter: adapter.name, err }, 'send adapter did not close cleanly'));
    }
  }

  async send(endpoint: Endpoint, message: OutboundMessage): Promise<SendOutcome> {
    const r = this.provider.resolve(endpoint);
    const started = Date.now();
    const log = { adapter: r.adapter.name, address: redactAddress(r.address), ...messageLogFields(message.envelope, message.step), idempotencyKey: message.idempotencyKey };
    try {
      const outcome = isGuarded(r.adapter) ? await this.guarded(r, message) : await r.adapter.send(r.address, message, r.options, this.contextFor(r.adapter));
      this.logger.debug({ ...log, status: outcome.status, durationMs: Date.now() - started }, 'sent');
      this.onSent?.(r.adapter.name, r.address, 'ok');
      return outcome;
    } catch (err) {
      const e = err as { code?: string; message?: string; transient?: boolean };
      this.logger.warn({ ...log, code: e.code, transient: e.transient, err: e.message, durationMs: Date.now() - started }, 'send failed');
      // Codes are a fixed set; anything else would make an unbounded label.
      this.onSent?.(r.adapter.name, r.address, typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{0,47}$/.test(e.code) ? e.code : 'ERROR');
      throw err;
    }
  }

  /** One place for isolation: every guarded adapter call goes through its endpoint's bulkhead and breaker, within a deadline. */
  private guarded(r: ResolvedEndpoint, message: OutboundMessage): Promise<SendOutcome> {
    const key = endpointKey(r.adapter.name, r.address);
    return this.guard.call(key, r.options, callDeadlineMs(r.options), (signal) => r.adapter.send(r.address, message, r.options, { ...this.contextFor(r.adapter), signal }));
  }

  resolve(endpoint: Endpoint, pointer?: string): Endpoint {
    return this.provider.normalize(endpoint, pointer);
  }
}
