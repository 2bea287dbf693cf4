import { ItineraError, defineOnRamp, newId, toItineraError, type Consumer, type Principal } from '@itinera/core';
import { traceContextFrom } from '@itinera/observability';
import type { NodeOnRampContext } from '../on-ramp-context';

/** Jobs of one queue on-ramp worked on at once, unless the itinerary says otherwise. */
const DEFAULT_CONCURRENCY = 4;

/** The correlation id a queue job carries in its `itinera-correlation-id` header, if any. */
function correlationOf(headers: unknown): { correlationId?: string } {
  const id = headers && typeof headers === 'object' ? (headers as Record<string, unknown>)['itinera-correlation-id'] : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? { correlationId: id } : {};
}

/**
 * A job on a queue on-ramp: `{ itinerary?, version?, action?, headers?, credential?, principal?, traceparent?, tracestate?, body }`. Bad input
 * becomes a fault, never a crash; so does a job without a valid credential (UNAUTHORIZED) when auth is
 * required and the queue's producers are not trusted (ITINERA_QUEUE_TRUSTED).
 */
async function acceptJob(ctx: NodeOnRampContext, itinerary: string, queue: string, data: Record<string, unknown>, jobId: string): Promise<void> {
  const { credential, principal: claimed, traceparent, tracestate, ...job } = data && typeof data === 'object' ? data : { body: data };
  // A job's trace context is optional; an invalid one is ignored, as on HTTP.
  const traceContext = traceContextFrom(traceparent, tracestate);
  let principal: Principal | undefined;
  try {
    principal = await ctx.auth.authenticateJob(queue, credential, claimed);
    await ctx.gateway.accept({
      principal,
      itinerary: typeof job.itinerary === 'string' ? job.itinerary : itinerary,
      version: typeof job.version === 'string' ? job.version : undefined,
      action: typeof job.action === 'string' ? job.action : undefined,
      headers: (job.headers && typeof job.headers === 'object' ? job.headers : {}) as Record<string, string>,
      body: 'body' in job ? job.body : job,
      // A queue send carries its message's correlation id on: one activity across itineraries.
      ...correlationOf(job.headers),
      transport: 'queue',
      queue,
      idempotencyKey: `queue:${queue}:${jobId}`,
      ...(traceContext ? { traceContext } : {}),
    });
  } catch (err) {
    const e = toItineraError(err);
    if (e.transient) throw e;
    await jobFault(ctx, queue, itinerary, data, e, 1, principal);
  }
}

/** A job the bus cannot take, kept as a fault (without its credential, a secret). */
async function jobFault(
  ctx: NodeOnRampContext,
  queue: string,
  itinerary: string,
  data: unknown,
  error: ItineraError,
  attempts: number,
  principal?: Principal,
): Promise<void> {
  const id = newId();
  let kept = data;
  if (data && typeof data === 'object' && !Array.isArray(data) && 'credential' in data) {
    const { credential: _secret, ...rest } = data as Record<string, unknown>;
    kept = rest;
  }
  const envelope = {
    id,
    correlationId: id,
    body: kept,
    ...(principal ? { principal } : {}),
    headers: {},
    context: {},
    itinerary: { name: itinerary, version: '', cursor: 0 },
    origin: { transport: 'queue' as const, queue },
    trace: [],
    createdAt: new Date().toISOString(),
  };
  await ctx.faults.add({
    id: newId(),
    messageId: id,
    correlationId: id,
    itinerary,
    attempts,
    error: { code: error.code, message: error.message },
    envelope,
    at: envelope.createdAt,
  });
  ctx.logger.error({ queue, itinerary, error: error.toJSON() }, 'queue on-ramp refused a job; kept as a fault');
}

/**
 * The queue on-ramp: every `onRamps.queue` entry of the deployed itineraries is consumed
 * from the message box, each job accepted as a message (or kept as a fault). Closing stops
 * taking jobs and waits for those in flight (up to `timeoutMs`).
 */
export const QUEUE_ON_RAMP = defineOnRamp<NodeOnRampContext>({
  name: 'queue',
  summary: 'Messages from bus queues: each itinerary onRamps.queue entry is consumed from the message box.',
  // Node-wide settings (ITINERA_DELIVERY_ATTEMPTS, ITINERA_QUEUE_TRUSTED) reach it through `node` and `auth`.
  spec: {},
  roles: ['gateway'],
  async start(ctx) {
    const consumers: Consumer[] = [];
    for (const binding of ctx.view.itineraries.queueOnRamps()) {
      consumers.push(
        await ctx.box.consume<Record<string, unknown>>(binding.queue, (job) => acceptJob(ctx, binding.itinerary, binding.queue, job.data, job.id), {
          concurrency: binding.concurrency ?? DEFAULT_CONCURRENCY,
          attempts: ctx.node.deliveryAttempts,
          backoffMs: 200,
          onDeadLetter: (job, error) => jobFault(ctx, binding.queue, binding.itinerary, job.data, toItineraError(error), job.attempt),
        }),
      );
    }
    return { close: async (opts) => void (await Promise.all(consumers.map((c) => c.close(opts.timeoutMs)))) };
  },
});
