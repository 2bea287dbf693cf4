import { describe, expect, it } from 'vitest';
import { messageLogFields, type Envelope } from '@itinera/core';
import { outgoingTraceContext, remoteContext, spanIdsOf, startStepSpan, startWorkerSpan, traceContextFrom, traceContextOf, traceLogFields, withSpanContext } from './tracing';

// No OpenTelemetry SDK is registered in this file: the API is a no-op, as in an application without one.
const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const envelope = (traceContext?: Envelope['traceContext']): Envelope => ({
  id: 'm1',
  correlationId: 'c1',
  body: {},
  headers: {},
  context: {},
  itinerary: { name: 'orders', version: '1.0.0', cursor: 0 },
  origin: { transport: 'http' },
  trace: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  ...(traceContext ? { traceContext } : {}),
});

describe('W3C trace context', () => {
  it('keeps a valid traceparent and its tracestate', () => {
    expect(traceContextFrom(PARENT, 'congo=t61rcWkgMzE')).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
    // Repeated tracestate headers join; a later version is read by its first four fields and passed on as version 00.
    expect(traceContextFrom(PARENT, ['a=1', 'b=2'])).toEqual({ traceparent: PARENT, tracestate: 'a=1,b=2' });
    expect(traceContextFrom(`01${PARENT.slice(2)}-later-field`)).toEqual({ traceparent: PARENT });
  });

  it.each([
    ['upper case', PARENT.toUpperCase()],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', `ff${PARENT.slice(2)}`],
    ['version 00 with extra fields', `${PARENT}-x`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['not a string', 42],
    ['repeated header', [PARENT, PARENT]],
  ])('ignores an invalid traceparent (%s): the message starts a trace of its own', (_why, value) => {
    expect(traceContextFrom(value, 'a=1')).toBeUndefined();
  });

  it('drops a tracestate longer than 512 characters, keeping the traceparent', () => {
    expect(traceContextFrom(PARENT, `a=${'x'.repeat(520)}`)).toEqual({ traceparent: PARENT });
  });

  it('ignores a traceparent that is not a string, and a tracestate that is not one', () => {
    expect(traceContextFrom(7)).toBeUndefined();
    expect(traceContextFrom(PARENT, 7)).toEqual({ traceparent: PARENT });
  });
});

describe('without an SDK', () => {
  it('forwards the incoming traceparent unchanged through the message and step spans', () => {
    const env = envelope({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
    const worker = startWorkerSpan(env, 'itinera.work', 1);
    const step = startStepSpan(worker.ctx, env, { id: 'deliver', service: 'send' }, 'send', 0);
    expect(worker.span.isRecording()).toBe(false);
    expect(traceContextOf(step.span)).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
    expect(outgoingTraceContext({ envelope: env })).toEqual({ traceparent: PARENT, tracestate: 'congo=t61rcWkgMzE' });
  });

  it("log ids name the propagated trace but not the caller's span as this line's span", () => {
    const env = envelope({ traceparent: PARENT });
    const worker = startWorkerSpan(env, 'itinera.work', 1);
    const step = startStepSpan(worker.ctx, env, { id: 'deliver', service: 'send' }, 'send', 0);
    expect(spanIdsOf(step.span)).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(withSpanContext(step.ctx, traceLogFields)).toEqual({});
    const fields = messageLogFields(env);
    expect(fields).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(fields).not.toHaveProperty('span_id');
  });

  it('starts no trace when none came in', () => {
    const env = envelope();
    const step = startStepSpan(remoteContext(undefined), env, { id: 'deliver', service: 'send' }, 'send', 0);
    expect(traceContextOf(step.span)).toBeUndefined();
    expect(outgoingTraceContext({ envelope: env })).toBeUndefined();
    expect(spanIdsOf(step.span)).toBeUndefined();
    expect(messageLogFields(env)).not.toHaveProperty('trace_id');
  });
});
