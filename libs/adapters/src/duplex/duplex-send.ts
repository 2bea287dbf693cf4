import { toItineraError, type ItineraError, type Logger, type OnRampGateway, type Principal, type Transport } from '@itinera/core';
import { traceContextFrom } from '@itinera/observability';
import type { DuplexRegistry } from './duplex-registry';

/** The answer to an accepted send: the WebSocket `accepted` frame, also the long-polling 202 body. */
export interface AcceptedFrame {
  type: 'accepted';
  id: string;
  messageId: string;
  correlationId: string;
  /** `name@version` of the itinerary that took the message. */
  itinerary: string;
  /** The reply body of a request-response operation. */
  reply?: unknown;
}

export interface DuplexSend {
  id: string;
  itinerary: string;
  version?: string;
  action: string;
  body?: unknown;
  /** W3C trace context; an invalid one is ignored (the message starts its own trace), as on the HTTP on-ramp. */
  traceparent?: unknown;
  tracestate?: unknown;
}

export interface DuplexSendContext {
  gateway: OnRampGateway;
  registry: DuplexRegistry;
  logger: Logger;
  maxInFlight: number;
}

/**
 * Hand one duplex message to the bus, after the session's earlier ones (per-session
 * order). Resolves with the `accepted` frame, or rejects with the ItineraError
 * that says why nothing was accepted.
 */
export async function acceptDuplexSend(
  ctx: DuplexSendContext,
  session: string,
  transport: Extract<Transport, 'ws' | 'poll' | 'tcp'>,
  send: DuplexSend,
  /** Who sent it (authenticated at hello or on the session request). */
  principal?: Principal,
): Promise<AcceptedFrame> {
  const traceContext = send.traceparent === undefined ? undefined : traceContextFrom(send.traceparent, send.tracestate);
  // W3C: a trace context that cannot be used is dropped, never refused (frames sent before it was read stay valid).
  if (!traceContext && (send.traceparent !== undefined || send.tracestate !== undefined)) {
    ctx.logger.debug({ session, id: send.id, traceparent: String(send.traceparent).slice(0, 80) }, 'duplex send: invalid trace context ignored');
  }
  try {
    return await ctx.registry.serial(session, ctx.maxInFlight, async () => {
      const accepted = await ctx.gateway.accept({
        itinerary: send.itinerary,
        ...(send.version !== undefined ? { version: send.version } : {}),
        action: send.action,
        body: send.body === undefined ? null : send.body,
        headers: {},
        session,
        clientMessageId: send.id,
        transport,
        ...(principal ? { principal } : {}),
        ...(traceContext ? { traceContext } : {}),
      });
      const frame: AcceptedFrame = {
        type: 'accepted',
        id: send.id,
        messageId: accepted.messageId,
        correlationId: accepted.correlationId,
        itinerary: accepted.itinerary,
      };
      if (accepted.reply) frame.reply = accepted.reply.body;
      return frame;
    });
  } catch (error) {
    const err: ItineraError = toItineraError(error);
    const log = { session, id: send.id, itinerary: send.itinerary, action: send.action, code: err.code };
    if (err.status >= 500) ctx.logger.error({ ...log, err: error }, 'duplex send not accepted');
    else ctx.logger.debug(log, 'duplex send refused');
    throw err;
  }
}
