import { FrameLog, Refused, isOutboxFrame, type DriverSession, type OutboxFrame, type SendAnswer, type SessionRef, type Transport } from './duplex-driver';

/** The connection under a frame session: JSON frames out, and how it ends. */
export interface FrameWire {
  write(frame: object): void;
  /** Drop the connection without a word (the session lives on). */
  drop(): void;
  /** Resolves when the connection is closed, by either side. */
  readonly closed: Promise<void>;
}

/**
 * A session over a frame transport (WebSocket, TCP): `hello` / `welcome`, `send` /
 * `accepted`, callback and fault frames with `ack`, `bye`. The two drivers differ only
 * in the wire.
 */
export class FrameSession implements DriverSession {
  private readonly log = new FrameLog();
  private readonly answers = new Map<string, (f: any) => void>();
  private greeting?: (f: any) => void;
  private n = 0;
  /** Frames other than callbacks and answers (welcome, pong, closing, close, error without id). */
  readonly controls: any[] = [];
  ref: SessionRef = { session: '', token: '' };
  welcome?: any;

  constructor(
    readonly transport: Transport,
    private readonly wire: FrameWire,
    private readonly autoAck: boolean,
  ) {
    void wire.closed.then(() => this.log.poke());
  }

  get closed(): Promise<void> {
    return this.wire.closed;
  }

  get frames(): OutboxFrame[] {
    return this.log.frames;
  }

  /** Every frame the server sent, parsed. */
  receive(f: any): void {
    if (isOutboxFrame(f)) {
      this.log.record(f);
      if (this.autoAck) this.wire.write({ type: 'ack', seq: f.seq });
      return;
    }
    const answer = typeof f?.id === 'string' ? this.answers.get(f.id) : undefined;
    if (answer && (f.type === 'accepted' || f.type === 'error')) {
      this.answers.delete(f.id);
      return answer(f);
    }
    if (this.greeting && (f?.type === 'welcome' || f?.type === 'error')) {
      const greet = this.greeting;
      this.greeting = undefined;
      return greet(f);
    }
    this.controls.push(f);
  }

  /** Say hello (new session or resume); throws Refused with the server's code. */
  async hello(hello: Record<string, unknown>): Promise<void> {
    const answer = await this.await(
      (resolve) => (this.greeting = resolve),
      'welcome',
      () => this.wire.write(hello),
    );
    if (answer.type !== 'welcome') throw new Refused(answer.error?.code ?? 'UNKNOWN', undefined, answer.error?.message);
    this.welcome = answer;
    this.ref = { session: answer.session, token: answer.token };
  }

  async send(itinerary: string, action: string, body?: unknown): Promise<SendAnswer> {
    const id = `c${++this.n}`;
    const f = await this.await(
      (resolve) => this.answers.set(id, resolve),
      `the answer to ${id}`,
      () => this.wire.write({ type: 'send', id, itinerary, action, ...(body === undefined ? {} : { body }) }),
    );
    return f.type === 'accepted' ? { accepted: true, messageId: f.messageId } : { accepted: false, code: f.error?.code };
  }

  waitForSeq(seq: number, timeoutMs?: number): Promise<OutboxFrame[]> {
    return this.log.waitForSeq(seq, timeoutMs);
  }

  async ack(seq: number): Promise<void> {
    this.wire.write({ type: 'ack', seq });
  }

  async disconnect(): Promise<void> {
    this.wire.drop();
    await this.wire.closed;
  }

  async end(): Promise<void> {
    this.wire.write({ type: 'bye' });
    await Promise.race([this.wire.closed, new Promise((r) => setTimeout(r, 5000))]);
    this.wire.drop();
  }

  /** Wait for the frame `register` resolves with, after `write`; rejects after 15 s or when the wire closes first. */
  private await(register: (resolve: (f: any) => void) => void, what: string, write: () => void): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within 15 s over ${this.transport}`)), 15_000);
      register((f) => (clearTimeout(timer), resolve(f)));
      void this.wire.closed.then(() => (clearTimeout(timer), reject(new Error(`the ${this.transport} connection closed before ${what}`))));
      write();
    });
  }
}
