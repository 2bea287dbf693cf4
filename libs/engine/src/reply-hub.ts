import { EventEmitter } from 'node:events';
import type { Envelope, MessageRecord, MessageStore, ReplySink } from '@itinera/core';

/** Marks a message whose receive stage has not replied (yet). */
const NO_REPLY = Symbol('no reply');

/**
 * Request-response replies. A reply is written to the message store (so a
 * gateway in another process finds it) and announced in-process (so a waiter
 * in this process gets it at once). Receive-stage replies are captured by the
 * on-ramp before publication and never need the store.
 */
export class ReplyHub implements ReplySink {
  private readonly local = new EventEmitter();
  /** Messages running their receive stage, by id: NO_REPLY, or the reply a step gave. */
  private readonly capturing = new Map<string, unknown>();

  constructor(private readonly messages: MessageStore) {
    this.local.setMaxListeners(0);
  }

  startCapture(messageId: string): void {
    this.capturing.set(messageId, NO_REPLY);
  }

  /** Stop capturing; returns the reply when a receive-stage step gave one. */
  endCapture(messageId: string): { body: unknown } | undefined {
    const body = this.capturing.get(messageId);
    return this.capturing.delete(messageId) && body !== NO_REPLY ? { body } : undefined;
  }

  async reply(envelope: Envelope, body: unknown): Promise<void> {
    if (this.capturing.has(envelope.id)) {
      this.capturing.set(envelope.id, body);
      return;
    }
    await this.messages.update(envelope.id, { reply: { body } });
    this.local.emit(envelope.id, { body });
  }

  /** Announce a final status in-process (completed or faulted) so waiters stop waiting. */
  settled(messageId: string): void {
    this.local.emit(messageId, undefined);
  }

  /**
   * Wait up to `ms` for a reply, wherever the itinerary runs: in-process events,
   * and a look at the store every `pollMs` for replies written by other processes.
   */
  async wait(messageId: string, ms: number, pollMs = 100): Promise<{ reply?: { body: unknown }; record?: MessageRecord }> {
    return new Promise((resolve) => {
      let done = false;
      const finish = async (reply?: { body: unknown }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        this.local.off(messageId, onLocal);
        const record = await this.messages.get(messageId).catch(() => undefined);
        resolve({ reply: reply ?? record?.reply, record });
      };
      const onLocal = (reply?: { body: unknown }) => void finish(reply);
      this.local.on(messageId, onLocal);
      const timer = setTimeout(() => void finish(), ms);
      const poll = setInterval(async () => {
        const rec = await this.messages.get(messageId).catch(() => undefined);
        if (rec && (rec.reply || rec.status === 'completed' || rec.status === 'faulted')) void finish(rec.reply);
      }, pollMs);
    });
  }
}
