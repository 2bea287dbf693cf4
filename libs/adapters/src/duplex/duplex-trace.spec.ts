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
    ['not W3C', 'abc', undefined],
    ['upper-case hex', PARENT.toUpperCase(), undefined],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', undefined],
    ['a number', 7, undefined],
    ['tracestate without a valid traceparent', undefined, 'congo=t61rcWkgMzE'],
  ])('an invalid trace context (%s) is ignored, logged at debug: the message is accepted and starts its own trace', async (_why, traceparent, tracestate) => {
    const parsed = parseClientFrame(JSON.stringify(send({ traceparent, tracestate })));
    expect(parsed.ok).toBe(true);
    const seen: InboundMessage[] = [];
    const debug: unknown[] = [];
    const gateway = {
      accept: async (m: InboundMessage) => {
        seen.push(m);
        return { messageId: 'm1', correlationId: 'm1', itinerary: 'calculator@1.0.0', status: 'accepted' as const };
      },
    };
    const logger = { ...silentLogger, debug: (o: unknown) => void debug.push(o) };
    const frame = parsed.ok ? parsed.frame : undefined;
    const accepted = await acceptDuplexSend({ gateway, registry: new DuplexRegistry(), logger, maxInFlight: 4 }, 's1', 'ws', frame as never);
    expect(accepted).toMatchObject({ type: 'accepted', id: 'c1' });
    expect(seen[0].traceContext).toBeUndefined();
    expect(debug).toEqual([expect.objectContaining({ session: 's1', id: 'c1' })]);
  });

  it('a tracestate that is not a string is dropped, the traceparent kept; long polling checks no trace field either', async () => {
    const parsed = parseClientFrame(JSON.stringify(send({ traceparent: PARENT, tracestate: ['a=1', 7] })));
    expect(parsed.ok).toBe(true);
    expect(checkSendFields(send({ traceparent: 'nope', tracestate: 7 }))).toEqual([]);
    const seen: InboundMessage[] = [];
    const gateway = {
      accept: async (m: InboundMessage) => {
        seen.push(m);
        return { messageId: 'm1', correlationId: 'm1', itinerary: 'calculator@1.0.0', status: 'accepted' as const };
      },
    };
    await acceptDuplexSend({ gateway, registry: new DuplexRegistry(), logger: silentLogger, maxInFlight: 4 }, 's1', 'poll', send({ traceparent: PARENT, tracestate: 7 }) as never);
    expect(seen[0].traceContext).toEqual({ traceparent: PARENT });
  });
});
