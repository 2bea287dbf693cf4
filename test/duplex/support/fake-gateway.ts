import { ItineraError, newId, type Accepted, type InboundMessage, type OnRampGateway, type OutboxDraft, type SessionStore } from '@itinera/core';

const PUSH = { limit: 10_000, overflow: 'fault' as const };

/**
 * A stand-in for the bus behind the duplex on-ramps. Itineraries:
 * - `echo`: any action; callback `Echo` with the body. Action `Reply` also answers with `{ echoed: body }`.
 *   Action `Many` with `{ n }` pushes n callbacks `Item` `{ i }`.
 * - `calculator`: per-session state as in SAMPLES.md (Result / Equation callbacks, DIVIDE_BY_ZERO fault).
 * - `slow`: accepted after `{ ms }`.
 * - `chat`: RegisterClient / SendMessage / UnRegisterClient as in SAMPLES.md (group `chat`, NOT_REGISTERED fault).
 * Anything else: ITINERARY_NOT_FOUND. Each session's messages run one at a time, in order.
 */
export class FakeGateway implements OnRampGateway {
  readonly accepted: InboundMessage[] = [];
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly sessions: SessionStore) {}

  async accept(message: InboundMessage): Promise<Accepted> {
    const name = message.itinerary ?? '';
    if (!['echo', 'calculator', 'slow', 'chat'].includes(name)) {
      throw new ItineraError('ITINERARY_NOT_FOUND', `No itinerary named "${name}" is deployed; see GET /itineraries.`);
    }
    if (message.version !== undefined && message.version !== '1.0.0') {
      throw new ItineraError('ITINERARY_NOT_FOUND', `Itinerary ${name} has no version ${message.version}.`);
    }
    if (name === 'slow') await new Promise((r) => setTimeout(r, (message.body as { ms?: number })?.ms ?? 100));
    this.accepted.push(message);
    const messageId = newId();
    const result: Accepted = { messageId, correlationId: messageId, itinerary: `${name}@1.0.0`, status: 'accepted' };
    if (name === 'echo' && message.action === 'Reply') result.reply = { body: { echoed: message.body } };
    const session = message.session;
    if (session) {
      const prev = this.chains.get(session) ?? Promise.resolve();
      const next = prev.then(() => this.run(session, name, message, messageId)).catch(() => undefined);
      this.chains.set(session, next);
    }
    return result;
  }

  /** Push a callback to a session directly (as a worker would). */
  push(session: string, action: string, body: unknown, correlationId = newId()): Promise<number> {
    return this.sessions.push(session, { type: 'callback', action, correlationId, body }, PUSH);
  }

  private async chat(session: string, m: InboundMessage, correlationId: string, cb: (action: string, body: unknown) => OutboxDraft): Promise<void> {
    const all = await this.sessions.getState(session);
    const state = (all.chat ?? {}) as { name?: string };
    const body = (m.body ?? {}) as { name?: string; text?: string; clientId?: string };
    if (m.action === 'RegisterClient') {
      const clientId = newId();
      await this.sessions.setState(session, { ...all, chat: { name: body.name, clientId } });
      await this.sessions.join('chat', session);
      await this.sessions.push(session, cb('NotifyClient', { text: `${body.name} has been registered with clientID: ${clientId}`, clientId }), PUSH);
    } else if (m.action === 'SendMessage') {
      if (typeof state.name !== 'string') {
        await this.sessions.push(
          session,
          { type: 'fault', correlationId, error: { code: 'NOT_REGISTERED', message: 'Register first (RegisterClient).', step: 'send' }, id: m.clientMessageId },
          PUSH,
        );
        return;
      }
      for (const member of await this.sessions.members('chat')) {
        await this.sessions
          .push(member, { type: 'callback', action: 'NotifyClient', correlationId, body: { text: `${state.name}: ${body.text}` } }, PUSH)
          .catch(() => undefined);
      }
    } else if (m.action === 'UnRegisterClient') {
      await this.sessions.leave('chat', session);
      await this.sessions.setState(session, { ...all, chat: {} });
      await this.sessions.push(session, cb('NotifyClient', { text: `${body.clientId} has been un registered` }), PUSH);
    }
  }

  private async run(session: string, name: string, m: InboundMessage, correlationId: string): Promise<void> {
    const cb = (action: string, body: unknown): OutboxDraft => ({ type: 'callback', action, correlationId, body, id: m.clientMessageId });
    if (name === 'echo') {
      if (m.action === 'Many') {
        const n = (m.body as { n: number }).n;
        for (let i = 1; i <= n; i++) await this.sessions.push(session, cb('Item', { i }), PUSH);
        return;
      }
      await this.sessions.push(session, cb('Echo', m.body), PUSH);
      return;
    }
    if (name === 'chat') return this.chat(session, m, correlationId, cb);
    if (name !== 'calculator') return;
    // Each itinerary keeps its own slice of the session state (chat and calculator share a session on the demo page).
    const all = await this.sessions.getState(session);
    const state = (all.calculator ?? {}) as { result?: number; equation?: string };
    const save = (calculator: Record<string, unknown>) => this.sessions.setState(session, { ...all, calculator });
    let result = typeof state.result === 'number' ? state.result : 0;
    let equation = typeof state.equation === 'string' ? state.equation : '0';
    const n = (m.body as { n?: number } | null)?.n ?? 0;
    const ops: Record<string, [string, (r: number) => number]> = {
      AddTo: ['+', (r) => r + n],
      SubtractFrom: ['-', (r) => r - n],
      MultiplyBy: ['*', (r) => r * n],
      DivideBy: ['/', (r) => r / n],
    };
    if (m.action === 'Clear') {
      await this.sessions.push(session, cb('Equation', { equation: `${equation} = ${result}` }), PUSH);
      await save({ result: 0, equation: '0' });
      return;
    }
    const op = ops[m.action ?? ''];
    if (!op) return;
    if (m.action === 'DivideBy' && n === 0) {
      await this.sessions.push(
        session,
        { type: 'fault', correlationId, error: { code: 'DIVIDE_BY_ZERO', message: 'Cannot divide by zero.', step: 'divide' }, id: m.clientMessageId },
        PUSH,
      );
      return;
    }
    result = op[1](result);
    equation += ` ${op[0]} ${String(n)}`;
    await save({ result, equation });
    await this.sessions.push(session, cb('Result', { result }), PUSH);
  }
}
