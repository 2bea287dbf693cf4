import type { ConfigSpec } from './spec';
import type { OutboundMessage, SendOutcome } from './step';
import type { Logger } from './logger';
import type { MessageBox } from './message-box';

/**
 * Parts of the bus a send adapter may declare it needs (`needs`); the sender gives it
 * those, and only those, in its start context and with every send. `box`: the message
 * box (publish to a bus queue).
 */
export type SendAdapterNeed = 'box';

/** The declared parts, as the adapter receives them. */
export interface SendAdapterParts {
  box?: MessageBox;
}

/** What `start` is given: the parts it declared and the node's logger. */
export interface SendAdapterStartContext extends SendAdapterParts {
  logger: Logger;
}

export interface SendContext extends SendAdapterParts {
  logger: Logger;
  /** Addresses a send adapter may reach (URL prefixes, host names, exact names); empty = any public address. */
  allowList: readonly string[];
  /** Let send adapters reach loopback, private, link-local and unique-local addresses (ITINERA_SEND_ALLOW_PRIVATE); default false. */
  allowPrivate?: boolean;
  /** Largest downstream answer a send adapter reads (ITINERA_SEND_MAX_RESPONSE_BYTES); default 1 MiB. */
  maxResponseBytes?: number;
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
  /** Parts of the bus it uses (see SendAdapterNeed); nothing else reaches it. */
  needs?: readonly SendAdapterNeed[];
  /** Called once when the node starts, before any send (open pools, warm caches). */
  start?(ctx: SendAdapterStartContext): Promise<void> | void;
  /** Called once on shutdown, after the last send: release what `start` or the sends opened. */
  close?(): Promise<void>;
  send(address: string, message: OutboundMessage, options: O, ctx: SendContext): Promise<SendOutcome>;
}

export function defineAdapter<O = Record<string, unknown>>(adapter: SendAdapter<O>): SendAdapter<O> {
  return adapter;
}
