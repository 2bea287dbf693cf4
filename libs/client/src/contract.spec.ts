import { describe, expect, expectTypeOf, it } from 'vitest';
import { ItineraClient } from './client';
import type { CallbackFrame, FaultFrame } from './frames';

// The callback contract of the calculator (seed 003): each callback action and its body.
interface Calculator {
  Result: { result: number };
  Equation: { equation: string };
}

/** A WebSocket that welcomes the client and lets the test deliver frames. */
class ScriptedSocket {
  static last?: ScriptedSocket;
  readyState = 0;
  protocol = 'itinera.v1';
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(_url: string) {
    ScriptedSocket.last = this;
    setTimeout(() => ((this.readyState = 1), this.onopen?.({})), 1);
  }
  send(data: string): void {
    const f = JSON.parse(data) as { type: string };
    if (f.type === 'hello') this.deliver({ type: 'welcome', session: 'S', token: 'T', resumed: false, heartbeatMs: 60_000 });
  }
  deliver(frame: unknown): void {
    setTimeout(() => this.onmessage?.({ data: JSON.stringify(frame) }), 1);
  }
  close(code = 1000): void {
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason: '' }), 1);
  }
}

const typed = () => new ItineraClient<Calculator>({ url: 'http://bus.test', transport: 'websocket', WebSocket: ScriptedSocket, ackDelayMs: 5 });

describe('typed callback contracts', () => {
  it('on() and onCallback() give the body of the action (checked by typecheck)', () => {
    const c = typed();
    c.on('Result', (body, frame) => {
      expectTypeOf(body).toEqualTypeOf<{ result: number }>();
      expectTypeOf(frame).toEqualTypeOf<CallbackFrame<{ result: number }, 'Result'>>();
    });
    c.onCallback((_body, frame) => {
      if (frame.action === 'Equation') expectTypeOf(frame.body).toEqualTypeOf<{ equation: string }>();
      else expectTypeOf(frame.body).toEqualTypeOf<{ result: number }>();
    });
    c.onFault((error, frame) => {
      expectTypeOf(error).toEqualTypeOf<{ code: string; message: string; step?: string }>();
      expectTypeOf(frame).toEqualTypeOf<FaultFrame>();
    });
    // @ts-expect-error: not a callback of the contract
    c.on('Results', () => undefined);
    // @ts-expect-error: Result's body has no `equation`
    c.on('Result', (body) => void body.equation);
    expectTypeOf(ItineraClient.connect<Calculator>).returns.resolves.toEqualTypeOf<ItineraClient<Calculator>>();
  });

  it('bind() takes every handler of the contract, with the right bodies (checked by typecheck)', () => {
    const c = typed();
    expectTypeOf(c.bind).parameter(0).toEqualTypeOf<{
      Result: (body: { result: number }, frame: CallbackFrame<{ result: number }, 'Result'>) => void | Promise<void>;
      Equation: (body: { equation: string }, frame: CallbackFrame<{ equation: string }, 'Equation'>) => void | Promise<void>;
    }>();
    // A class implements the contract like a WCF callback interface; other members may sit beside.
    class Handler {
      seen: number[] = [];
      Result(body: { result: number }) {
        this.seen.push(body.result);
      }
      async Equation(_body: { equation: string }) {}
    }
    c.bind(new Handler());
    c.bind({ Result: () => undefined, Equation: async () => undefined });
    // @ts-expect-error: Equation is missing
    c.bind({ Result: () => undefined });
    // @ts-expect-error: misspelt action
    c.bind({ Result: () => undefined, Equation: () => undefined, Equasion: () => undefined });
    // @ts-expect-error: Result's body is { result: number }
    c.bind({ Result: (body: { result: string }) => void body, Equation: () => undefined });
    class Wrong {
      Result(_body: { result: number; extra: string }) {}
      Equation() {}
    }
    // @ts-expect-error: the handler needs a field the callback does not carry
    c.bind(new Wrong());
  });

  it('an untyped client takes any action and any object, as before', () => {
    const c = new ItineraClient({ url: 'http://bus.test' });
    c.on('Anything', (body) => void expectTypeOf(body).toBeAny());
    c.bind(
      new (class {
        seen = 0;
        Anything() {}
      })(),
    );
    expectTypeOf(c.bind).parameter(0).toEqualTypeOf<object>();
  });

  it('a typed client dispatches as an untyped one does: bound handlers get body and frame', async () => {
    const c = typed();
    const seen: string[] = [];
    c.bind({
      Result: (body, frame) => void seen.push(`${frame.action}:${body.result}`),
      Equation: (body) => void seen.push(body.equation),
    });
    const any: string[] = [];
    c.onCallback((_body, frame) => void any.push(frame.action));
    await c.connect();
    ScriptedSocket.last!.deliver({ type: 'callback', seq: 1, action: 'Result', correlationId: 'k', body: { result: 7 } });
    ScriptedSocket.last!.deliver({ type: 'callback', seq: 2, action: 'Equation', correlationId: 'k', body: { equation: '0 + 7 = 7' } });
    await c.nextEvent('error', 50).catch(() => undefined);
    expect(seen).toEqual(['Result:7', '0 + 7 = 7']);
    expect(any).toEqual(['Result', 'Equation']);
    expect(c.lastSeq).toBe(2);
    await c.close({ end: false });
  });
});
