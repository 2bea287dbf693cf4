import { ItineraError, defineAdapter } from '@itinera/core';
import { outgoingTraceContext } from '@itinera/observability';
import { checkSendAllowed } from '../provider/allow-list';

export type QueueSendOptions = {
  itinerary?: string;
  version?: string;
  action?: string;
};

/** Bus queue names: what BullMQ accepts as a queue name and a Redis key part. */
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Queue off-ramp: publishes to a named bus queue in the queue on-ramp job format
 * `{ itinerary?, version?, action?, headers, principal?, traceparent?, tracestate?, body }`, so another itinerary (or any
 * BullMQ consumer) can pick it up; `principal` is the sender's. The job id is the idempotency key: a retried
 * step publishes the same job once.
 */
export const queueSendAdapter = defineAdapter<QueueSendOptions>({
  name: 'queue',
  summary:
    'Publishes the message to a named bus queue (the message box) as a queue on-ramp job { itinerary?, version?, action?, headers, principal?, traceparent?, tracestate?, body } (principal: the sender, used by a trusted queue on-ramp; traceparent: the sending step span, so the trace goes on); the job id is the idempotency key, so a retried send publishes once.',
  spec: {
    itinerary: {
      type: 'string',
      description: 'Itinerary the receiving queue on-ramp should run (omitted: its selector decides).',
      examples: ['orders-fulfilment'],
    },
    version: { type: 'string', description: 'Version of that itinerary (omitted: the latest deployed).', examples: ['1.0.0'] },
    action: { type: 'string', description: 'Action of the published job (omitted: none).', examples: ['FulfilOrder'] },
  },
  // It publishes to the message box, which the sender gives only to adapters that ask for it.
  needs: ['box'],
  checkAddress(address) {
    return QUEUE_NAME.test(address) ? undefined : 'must be a queue name: letters, digits, ".", "_" and "-", starting with a letter or digit';
  },
  async send(address, message, options, ctx) {
    checkSendAllowed('queue', address, ctx);
    const box = ctx.box;
    if (!box) throw new ItineraError('TRANSPORT_UNAVAILABLE', 'the queue send adapter has no message box to publish to; configure the bus transport');
    const headers: Record<string, string> = {
      ...lowerCase(message.headers ?? {}),
      'itinera-correlation-id': message.envelope.correlationId,
      'itinera-message-id': message.envelope.id,
      'idempotency-key': message.idempotencyKey,
    };
    const data: Record<string, unknown> = {};
    if (options.itinerary !== undefined) data.itinerary = options.itinerary;
    if (options.version !== undefined) data.version = options.version;
    if (options.action !== undefined) data.action = options.action;
    data.headers = headers;
    // The sender rides along: a trusted queue on-ramp runs the job as it (ITINERA_QUEUE_TRUSTED), never as the queue.
    if (message.envelope.principal) data.principal = message.envelope.principal;
    // The trace goes on: the receiving queue on-ramp's span is a child of this step's.
    const trace = outgoingTraceContext(message);
    if (trace) {
      data.traceparent = trace.traceparent;
      if (trace.tracestate) data.tracestate = trace.tracestate;
    }
    data.body = message.body;
    await box.publish(address, data, { jobId: message.idempotencyKey });
    return { body: { queue: address, jobId: message.idempotencyKey } };
  },
});

function lowerCase(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
