import {
  newId,
  redactSecrets,
  redactText,
  type Envelope,
  type FaultStore,
  type ItineraError,
  type Logger,
  type MessageStore,
  type PushOptions,
  type SessionStore,
  type TraceEntry,
  messageLogFields,
} from '@itinera/core';
import type { Metrics } from '@itinera/observability';
import type { ReplyHub } from './reply-hub';
import { slipKey } from './runner';
import { faultFrameKey } from './resubmit';

/**
 * Nothing fails silently: a message whose itinerary failed for good is stored as
 * a fault (envelope, error, step, attempts), logged, marked faulted in the
 * message store, and sent as a `fault` frame to the originating session.
 */
export class FaultRecorder {
  constructor(
    private readonly deps: {
      faults: FaultStore;
      messages: MessageStore;
      sessions: SessionStore;
      replies: ReplyHub;
      logger: Logger;
      metrics: Metrics;
      pushOptions: PushOptions;
    },
  ) {}

  async record(envelope: Envelope, error: ItineraError, step: string | undefined, attempts: number, newTrace: TraceEntry[]): Promise<void> {
    const { faults, messages, sessions, replies, logger, metrics } = this.deps;
    // Whatever raised it, an address in the message shows with its credentials masked.
    const err = { code: error.code, message: redactText(error.message) };
    await faults.add({
      id: newId(),
      messageId: envelope.id,
      correlationId: envelope.correlationId,
      itinerary: slipKey(envelope),
      step,
      attempts,
      error: err,
      envelope,
      at: new Date().toISOString(),
    });
    await messages.update(envelope.id, { status: 'faulted', error: { ...err, step }, context: redactSecrets(envelope.context) }, newTrace);
    metrics.messageFaulted(envelope.itinerary.name, envelope.origin.transport, error.code);
    logger.error(
      // The message's ids as on its other lines, its trace's included.
      { ...messageLogFields(envelope, step), attempts, error: err },
      'itinerary faulted',
    );
    const session = envelope.origin.session;
    if (session) {
      try {
        await sessions.push(
          session,
          {
            type: 'fault',
            correlationId: envelope.correlationId,
            error: { ...err, step },
            ...(envelope.origin.clientMessageId ? { id: envelope.origin.clientMessageId } : {}),
          },
          // A fault frame must not be lost to a full outbox: it may exceed the limit.
          { ...this.deps.pushOptions, limit: Number.MAX_SAFE_INTEGER, dedupeKey: faultFrameKey(envelope) },
        );
      } catch (pushErr) {
        logger.warn({ ...messageLogFields(envelope, step), session, err: String(pushErr) }, 'fault frame not delivered: session gone; the fault stays in the fault store');
      }
    }
    replies.settled(envelope.id);
  }
}
