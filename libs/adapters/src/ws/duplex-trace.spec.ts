import { describe, expect, it } from 'vitest';
import { silentLogger, type InboundMessage } from '@itinera/core';
import { checkSendFields, parseClientFrame } from './duplex-frames';
import { acceptDuplexSend } from './duplex-send';
import { DuplexRegistry } from './duplex-registry';

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const send = (extra: Record<string, unknown>) => ({ type: 'send', id: 'c1', itinerary: 'calculator', action: 'AddTo', body: { n: 1 }, ...extra });

describe('the optional traceparent of a duplex send', () => {
  it('is accepted with its tracestate and handed to the bus as the message trace context', async () => {
    const parsed = parseClientFrame(JSON.stringify(send({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' })));
    expect(parsed.ok).toBe(true);
    const seen: InboundMessage[] = [];
    const gateway = {
      accept: async (m: InboundMessage) => {
        seen.push(m);
        return { messageId: 'm1', correlationId: 'm1', itinerary: 'calculator@1.0.0', status: 'accepted' as const };
      },
    };
    const frame = parsed.ok ? (parsed.frame as ReturnType<typeof send> & { type: 'send' }) : undefined;
    await acceptDuplexSend({ gateway, registry: new DuplexRegistry(), logger: silentLogger, maxInFlight: 4 }, 's1', 'ws', frame as never);
    expect(seen[0].traceContext).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
  });

  it('a frame without one carries no trace context', async () => {
    const seen: InboundMessage[] = [];
    const gateway = {
      accept: async (m: InboundMessage) => {
        seen.push(m);
        return { messageId: 'm1', correlationId: 'm1', itinerary: 'calculator@1.0.0', status: 'accepted' as const };
      },
    };
    await acceptDuplexSend({ gateway, registry: new DuplexRegistry(), logger: silentLogger, maxInFlight: 4 }, 's1', 'poll', {
      id: 'c2',
      itinerary: 'calculator',
      action: 'AddTo',
    });
    expect(seen[0].traceContext).toBeUndefined();
  });

  it.each([
    ['not W3C', 'abc'],
    ['upper-case hex', PARENT.toUpperCase()],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['a number', 7],
  ])('an invalid traceparent (%s) is BAD_FRAME naming /traceparent, with the send id', (_why, traceparent) => {
    const parsed = parseClientFrame(JSON.stringify(send({ traceparent })));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.id).toBe('c1');
    expect(parsed.error.code).toBe('BAD_FRAME');
    expect(parsed.error.details).toEqual([expect.objectContaining({ pointer: '/traceparent' })]);
  });

  it('a tracestate that is not a string is refused too; long polling checks the same fields', () => {
    const parsed = parseClientFrame(JSON.stringify(send({ traceparent: PARENT, tracestate: ['a=1'] })));
    expect(parsed.ok ? undefined : parsed.error.details).toEqual([expect.objectContaining({ pointer: '/tracestate' })]);
    expect(checkSendFields(send({ traceparent: 'nope' })).map((e) => e.pointer)).toEqual(['/traceparent']);
  });
});
