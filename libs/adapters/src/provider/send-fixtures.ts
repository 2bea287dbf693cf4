import { ItineraError, silentLogger, type Envelope, type MessageBox, type OutboundMessage, type SendContext } from '@itinera/core';

/** Test fixtures for send adapters (used by the specs; not part of the public API). */
export function fixtureEnvelope(patch: Partial<Envelope> = {}): Envelope {
  return {
    id: 'msg-1',
    correlationId: 'corr-1',
    action: 'CreateOrder',
    body: { order: { product: 1 } },
    headers: {},
    context: {},
    itinerary: { name: 'orders', version: '1.0.0', cursor: 3 },
    origin: { transport: 'http' },
    trace: [],
    createdAt: new Date(0).toISOString(),
    ...patch,
  };
}

export function fixtureMessage(body: unknown = { hello: 'world' }, patch: Partial<OutboundMessage> = {}): OutboundMessage {
  return { body, headers: {}, idempotencyKey: 'step-key-1', envelope: fixtureEnvelope(), ...patch };
}

export interface RecordedPublish {
  queue: string;
  data: unknown;
  jobId: string;
}

export function fixtureSendContext(patch: Partial<SendContext> = {}): SendContext & { published: RecordedPublish[] } {
  const published: RecordedPublish[] = [];
  return {
    logger: silentLogger,
    allowList: [],
    // A message box that records what the queue adapter publishes.
    box: {
      async publish(queue: string, data: unknown, opts: { jobId?: string }) {
        published.push({ queue, data, jobId: opts.jobId ?? '' });
      },
    } as unknown as MessageBox,
    ...patch,
    published,
  };
}

/** The ItineraError a promise rejects with; throws when it resolves or rejects with anything else. */
export async function failureOf(p: Promise<unknown>): Promise<ItineraError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ItineraError)) throw new Error(`expected an ItineraError rejection, got ${err === undefined ? 'a resolution' : String(err)}`);
  return err;
}
