import type { OutboxFrame } from './frames';

/** Acknowledge at once when this many handled frames are unacknowledged. */
const ACK_EVERY = 32;

export interface InboxOptions {
  dispatch(frame: OutboxFrame): Promise<void>;
  onHandlerError(error: unknown, frame: OutboxFrame): void;
  /** Send a cumulative ack; false when there is no live link (it is retried with the next frame or resume). */
  ack(seq: number): boolean;
  ackDelayMs: number;
}

/**
 * Callback and fault frames in: handled one at a time in seq order, a seq already
 * handled dropped (redeliveries after a resume), acknowledged in batches after
 * handling.
 */
export class Inbox {
  /** Highest seq handled. */
  seq = 0;
  private acked = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: InboxOptions) {}

  /** Start from `seq` (resume) or 0 (new session); what the server was told counts as acknowledged. */
  reset(seq: number): void {
    this.seq = seq;
    this.acked = seq;
  }

  enqueue(frames: OutboxFrame[]): Promise<void> {
    const run = async (): Promise<void> => {
      for (const f of frames) await this.handle(f);
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Send the pending ack now. */
  flush(): void {
    this.stop();
    if (this.seq > this.acked && this.o.ack(this.seq)) this.acked = this.seq;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async handle(f: OutboxFrame): Promise<void> {
    if (f.seq <= this.seq) return;
    try {
      await this.o.dispatch(f);
    } catch (error) {
      this.o.onHandlerError(error, f);
    }
    this.seq = f.seq;
    if (this.seq - this.acked >= ACK_EVERY) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.o.ackDelayMs);
  }
}
