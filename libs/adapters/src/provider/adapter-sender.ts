import {
  ItineraError,
  silentLogger,
  type Adapters,
  type Endpoint,
  type Logger,
  type MessageBox,
  type OutboundMessage,
  type SendContext,
  type SendOutcome,
} from '@itinera/core';
import type { AdapterProvider } from './adapter-provider';
import { redactAddress } from './allow-list';

export interface AdapterSenderOptions {
  logger?: Logger;
  /** Where the `queue` adapter publishes; either this or `publishToQueue`. */
  box?: MessageBox;
  publishToQueue?: SendContext['publishToQueue'];
  /** Aborted on shutdown: sends in flight stop waiting (and are retried elsewhere). */
  signal?: AbortSignal;
  /** Largest downstream answer adapters read (ITINERA_SEND_MAX_RESPONSE_BYTES); adapters default to 1 MiB. */
  maxResponseBytes?: number;
}

/** The `Adapters` a step runtime uses: resolve through the provider, then send. */
export class AdapterSender implements Adapters {
  private readonly logger: Logger;
  private readonly ctx: SendContext;

  constructor(
    readonly provider: AdapterProvider,
    opts: AdapterSenderOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    const box = opts.box;
    const publishToQueue: SendContext['publishToQueue'] =
      opts.publishToQueue ??
      (box
        ? (queue, data, o) => box.publish(queue, data, { jobId: o.jobId })
        : async () => {
            throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the queue send adapter has no message box to publish to; configure the bus transport');
          });
    this.ctx = {
      logger: this.logger,
      allowList: provider.allowList,
      allowPrivate: provider.allowPrivate,
      maxResponseBytes: opts.maxResponseBytes,
      publishToQueue,
      signal: opts.signal,
    };
  }

  async send(endpoint: Endpoint, message: OutboundMessage): Promise<SendOutcome> {
    const r = this.provider.resolve(endpoint);
    const started = Date.now();
    const log = { adapter: r.adapter.name, address: redactAddress(r.address), messageId: message.envelope.id, idempotencyKey: message.idempotencyKey };
    try {
      const outcome = await r.adapter.send(r.address, message, r.options, this.ctx);
      this.logger.debug({ ...log, status: outcome.status, durationMs: Date.now() - started }, 'sent');
      return outcome;
    } catch (err) {
      const e = err as { code?: string; message?: string; transient?: boolean };
      this.logger.warn({ ...log, code: e.code, transient: e.transient, err: e.message, durationMs: Date.now() - started }, 'send failed');
      throw err;
    }
  }

  resolve(endpoint: Endpoint, pointer?: string): Endpoint {
    return this.provider.normalize(endpoint, pointer);
  }
}
