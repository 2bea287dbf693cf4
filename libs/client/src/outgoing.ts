import { CLIENT_ERROR_CODES, ItineraClientError } from './errors';
import type { AcceptedFrame, SendFrame } from './frames';
import type { Link } from './link';

interface Outgoing {
  n: number;
  frame: SendFrame;
  resolve(frame: AcceptedFrame): void;
  reject(err: ItineraClientError): void;
  timer?: ReturnType<typeof setTimeout>;
  settled: boolean;
}

/**
 * Messages waiting for a link, in the order they were sent. A message the link
 * could not write (NOT_SENT) goes back in its place and waits for the next link;
 * one written and then cut off fails with CONNECTION_LOST (it may have run).
 */
export class OutgoingQueue {
  private readonly waiting: Outgoing[] = [];
  private counter = 0;

  constructor(private readonly onSessionGone: (link: Link) => void) {}

  get size(): number {
    return this.waiting.length;
  }

  add(frame: SendFrame, timeoutMs: number): Promise<AcceptedFrame> {
    return new Promise<AcceptedFrame>((resolve, reject) => {
      const o: Outgoing = { n: ++this.counter, frame, resolve, reject, settled: false };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        o.timer = setTimeout(
          () =>
            this.fail(
              o,
              new ItineraClientError(
                CLIENT_ERROR_CODES.TIMEOUT,
                `No answer to ${frame.action} (${frame.id}) within ${timeoutMs} ms; it may still be accepted.`,
              ),
            ),
          timeoutMs,
        );
      }
      this.waiting.push(o);
    });
  }

  /** Hand every waiting message to `link`, in order. */
  pump(link: Link): void {
    while (this.waiting.length > 0) {
      const o = this.waiting.shift()!;
      if (o.settled) continue;
      link.send(o.frame).then(
        (accepted) => this.settle(o, accepted),
        (error: unknown) => {
          if (o.settled) return;
          const err = error instanceof ItineraClientError ? error : new ItineraClientError(CLIENT_ERROR_CODES.CONNECTION_LOST, String(error));
          if (err.code === CLIENT_ERROR_CODES.NOT_SENT) return this.requeue(o);
          // Refused because the session is gone: nothing ran, so it can go to the next session.
          if (err.code === 'SESSION_NOT_FOUND') {
            this.requeue(o);
            return this.onSessionGone(link);
          }
          this.fail(o, err);
        },
      );
    }
  }

  /** Fail everything waiting (close). */
  failAll(code: string, message: string): void {
    for (const o of this.waiting.splice(0)) this.fail(o, new ItineraClientError(code, message));
  }

  private requeue(o: Outgoing): void {
    const at = this.waiting.findIndex((w) => w.n > o.n);
    if (at < 0) this.waiting.push(o);
    else this.waiting.splice(at, 0, o);
  }

  private settle(o: Outgoing, accepted: AcceptedFrame): void {
    if (o.settled) return;
    o.settled = true;
    if (o.timer) clearTimeout(o.timer);
    o.resolve(accepted);
  }

  private fail(o: Outgoing, err: ItineraClientError): void {
    if (o.settled) return;
    o.settled = true;
    if (o.timer) clearTimeout(o.timer);
    const i = this.waiting.indexOf(o);
    if (i >= 0) this.waiting.splice(i, 1);
    o.reject(err);
  }
}
