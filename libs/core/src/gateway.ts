import type { MessageStatus, TraceContext, Transport } from './envelope';
import type { Principal } from './principal';

/** What an on-ramp hands to the bus: outside traffic, before it is an envelope. */
export interface InboundMessage {
  /** Itinerary name; omitted = the itinerary selector (rules) picks it. */
  itinerary?: string;
  version?: string;
  action?: string;
  body: unknown;
  /** Inbound headers, lower-case names. */
  headers: Record<string, string>;
  /** Duplex session the callbacks go to (already authenticated by the on-ramp). */
  session?: string;
  /** The client's own id for this message (duplex `send` frame `id`). */
  clientMessageId?: string;
  transport: Transport;
  idempotencyKey?: string;
  correlationId?: string;
  queue?: string;
  /** Who sent it, authenticated by the on-ramp; the gateway checks the itinerary's `access` against it. */
  principal?: Principal;
  /** W3C trace context that came with it (`traceparent` header, send frame or job fields), already checked. */
  traceContext?: TraceContext;
}

export interface Accepted {
  messageId: string;
  correlationId: string;
  /** `name@version` */
  itinerary: string;
  status: MessageStatus;
  /** Set when a receive-stage `reply` step (or, with `waitMs`, a later one) answered. */
  reply?: { body: unknown };
  /** Repeated Idempotency-Key with the same body: the earlier acceptance. */
  duplicate?: boolean;
}

/**
 * The bus as on-ramps see it. `accept` resolves once the message box durably holds
 * the envelope (or the itinerary finished in the receive stage); it throws
 * ItineraError (ITINERARY_NOT_FOUND, VALIDATION_FAILED, TRANSPORT_UNAVAILABLE, …)
 * when nothing was accepted.
 */
export interface OnRampGateway {
  accept(message: InboundMessage, opts?: { waitMs?: number }): Promise<Accepted>;
}
