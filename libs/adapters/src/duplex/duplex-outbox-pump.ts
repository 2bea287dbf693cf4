import { toItineraError, type Logger, type OutboxFrame, type SessionStore } from '@itinera/core';

export interface OutboxPumpOptions {
  sessions: SessionStore;
  session: string;
  /** Highest seq the client already has (from `hello.lastSeq` / the ack). */
  from: number;
  batch: number;
  /** Write frames in order; resolves once the transport took them (or is gone). */
  write(frames: OutboxFrame[]): Promise<void>;
  isOpen(): boolean;
  /** The session no longer exists. */
  onGone(): void;
  log: Logger;
}

/**
 * Delivery of one session's outbox to one connection: every pending frame above
 * the highest seq sent so far, in seq order, each once. One run at a time; a
 * wake-up during a run makes it read again, so nothing waits for the next one.
 */
export class OutboxPump {
  private sent: number;
  private running = false;
  private again = false;

  constructor(private readonly o: OutboxPumpOptions) {
    this.sent = o.from;
  }

  /** Highest seq written to this connection. */
  get sentSeq(): number {
    return this.sent;
  }

  /**
   * A wake-up, maybe with the frame just pushed: when it is the next one this connection
   * expects and nothing else is being delivered, it goes out at once, without reading the
   * outbox (one store round trip less per callback). Anything else falls back to `run`.
   */
  async offer(frame?: OutboxFrame): Promise<void> {
    if (frame && frame.seq <= this.sent && !this.running) return;
    if (!frame || this.running || frame.seq !== this.sent + 1 || !this.o.isOpen()) return this.run();
    this.running = true;
    try {
      this.sent = frame.seq;
      await this.o.write([frame]);
    } finally {
      this.running = false;
    }
    // Wake-ups that came while writing: read what they announced.
    if (this.again) await this.run();
  }

  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    const { sessions, session, batch } = this.o;
    try {
      do {
        this.again = false;
        for (;;) {
          if (!this.o.isOpen()) return;
          const frames = (await sessions.pending(session, this.sent, batch)).filter((f) => f.seq > this.sent);
          if (frames.length === 0 || !this.o.isOpen()) break;
          this.sent = frames[frames.length - 1]!.seq;
          // Back-pressure: the socket takes this batch before the next is read.
          await this.o.write(frames);
          if (frames.length < batch) break;
        }
      } while (this.again);
    } catch (error) {
      if (toItineraError(error).code === 'SESSION_NOT_FOUND') this.o.onGone();
      else this.o.log.warn({ session, err: error }, 'duplex delivery failed; retried on the next wake-up or heartbeat');
    } finally {
      this.running = false;
    }
  }
}
