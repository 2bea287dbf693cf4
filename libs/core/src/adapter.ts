import type { ConfigSpec } from './spec';
import type { OutboundMessage, SendOutcome } from './step';
import type { Logger } from './logger';

export interface SendContext {
  logger: Logger;
  /** Addresses a send adapter may reach (URL prefixes, host names, exact names); empty = any public address. */
  allowList: readonly string[];
  /** Let send adapters reach loopback, private, link-local and unique-local addresses (ITINERA_SEND_ALLOW_PRIVATE); default false. */
  allowPrivate?: boolean;
  /** Largest downstream answer a send adapter reads (ITINERA_SEND_MAX_RESPONSE_BYTES); default 1 MiB. */
  maxResponseBytes?: number;
  /** Publish to a named bus queue (queue adapter). */
  publishToQueue(queue: string, data: unknown, opts: { jobId: string }): Promise<void>;
  signal?: AbortSignal;
}

/**
 * A send adapter (off-ramp). Declared once with its options spec; the adapter
 * provider turns a resolved endpoint's config into these options.
 */
export interface SendAdapter<O = Record<string, unknown>> {
  name: string;
  summary: string;
  spec: ConfigSpec;
  /** Check an address at load/resolve time; return an error message when it is not usable. */
  checkAddress?(address: string): string | undefined;
  send(address: string, message: OutboundMessage, options: O, ctx: SendContext): Promise<SendOutcome>;
}

export function defineAdapter<O = Record<string, unknown>>(adapter: SendAdapter<O>): SendAdapter<O> {
  return adapter;
}
