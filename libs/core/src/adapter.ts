import type { ConfigSpec } from './spec';
import type { OutboundMessage, SendOutcome } from './step';
import type { Logger } from './logger';

export interface SendContext {
  logger: Logger;
  /** Addresses a send adapter may reach (prefixes or host names); empty = no limit. */
  allowList: readonly string[];
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
