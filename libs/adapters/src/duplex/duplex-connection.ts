import type { RawData } from 'ws';
import { ItineraError, toItineraError, type Logger, type OnRampGateway, type OutboxFrame, type Principal, type SessionStore } from '@itinera/core';
import type { Caller, OnRampLimits } from '../limits/on-ramp-limits';
import { OPEN_AUTHENTICATOR, type Authenticator } from '../identity/authenticator';
import { sessionPrincipal } from '../identity/request-identity';
import { CLOSE_CODES, clientIdOf, errorFrame, parseClientFrame, type ClosingReason, type HelloFrame, type SendFrame } from './duplex-frames';
import type { DuplexOptions } from './duplex-options';
import type { DuplexEndpoint, DuplexRegistry } from './duplex-registry';
import { OutboxPump } from './duplex-outbox-pump';
import type { DuplexSocket, SocketTransport } from './duplex-socket';
import { acceptDuplexSend } from './duplex-send';

export interface ConnectionContext {
  gateway: OnRampGateway;
  sessions: SessionStore;
  registry: DuplexRegistry;
  logger: Logger;
  options: DuplexOptions;
  /** Session and message limits (none when absent). */
  limits?: OnRampLimits;
  /** Checks hello's `credential`; absent: everyone is anonymous. */
  auth?: Authenticator;
}

/** How long a socket closed for not reading may take to go; then it is dropped. */
const SLOW_CONSUMER_GRACE_MS = 1000;

/** Bad frames in a row before the socket is closed (1003 / 1007). */
export const MAX_BAD_FRAMES = 10;

const rawLength = (data: RawData): number =>
  Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
const rawText = (data: RawData): string => (Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));

/**
 * One WebSocket (or framed TCP socket) of a duplex on-ramp: the hello/welcome
 * handshake, sends, acks, and delivery of the session's outbox in seq order, each
 * frame once per connection. No handler throws: a failure becomes an error frame
 * or a log line.
 */
export class DuplexConnection implements DuplexEndpoint {
  session?: string;
  /** Who is on this connection, once authenticated; limits count by it. */
  principal?: Principal;
  private pump?: OutboxPump;
  private hello?: Promise<void>;
  private badStreak = 0;
  private missedPings = 0;
  private ticksWithoutHello = 0;
  private lastTouch = 0;
  private finished = false;
  private unsubscribe?: () => void;
  private readonly log: Logger;
  private markClosed!: () => void;
  /** Resolves when the socket has closed. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  constructor(
    private readonly ws: DuplexSocket,
    private readonly ctx: ConnectionContext,
    remote: string,
    private readonly address = remote,
    readonly transport: SocketTransport = 'ws',
  ) {
    this.log = ctx.logger.child({ remote });
    // ws answers every ping with a pong: a client that pings and never reads makes them pile up.
    ws.on('ping', () => this.checkBuffered());
    ws.on('message', (data, isBinary) => void this.onMessage(data, isBinary).catch((err) => this.log.error({ err }, 'duplex frame handler failed')));
    ws.on('pong', () => (this.missedPings = 0));
    ws.on('close', (code) => this.onClose(code));
    // ws closes the socket itself on protocol errors (1002, 1007, 1009); log only.
    ws.on('error', (err) => this.log.debug({ err: err.message, code: (err as { code?: string }).code }, 'duplex socket error'));
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN && !this.finished;
  }

  /** Called every heartbeatMs by the server: ping, drop the silent, enforce hello. */
  tick(): void {
    if (!this.isOpen) return;
    if (!this.session) {
      if (!this.hello && ++this.ticksWithoutHello >= 2) {
        this.sendJson(errorFrame(new ItineraError('HELLO_REQUIRED', 'No hello received in time; send {"type":"hello"} first.')));
        this.closeWith(CLOSE_CODES.policy, 'hello required');
        return;
      }
    }
    if (this.missedPings >= 2) {
      this.log.info({ session: this.session }, 'duplex client missed two heartbeats: disconnected (the session lives on)');
      this.finished = true;
      this.ws.terminate();
      return;
    }
    const answeredLast = this.missedPings === 0;
    this.missedPings++;
    try {
      this.ws.ping();
    } catch {
      /* socket already going away */
    }
    // A client answering pings is active: keep its session from expiring.
    if (answeredLast && this.session) void this.keepAlive(true);
    // Self-healing delivery: a wake-up lost to a store hiccup is made up here.
    void this.pump?.run();
  }

  /** Send `closing` and close (shutdown, expiry, replacement, end). */
  end(reason: ClosingReason | 'superseded', retryAfterMs?: number): void {
    if (this.finished) return;
    const r: ClosingReason = reason === 'superseded' ? 'replaced' : reason;
    this.sendJson(retryAfterMs === undefined ? { type: 'closing', reason: r } : { type: 'closing', reason: r, retryAfterMs });
    this.closeWith(CLOSE_CODES[r], r);
  }

  /** Drop the socket without a closing handshake (a client that did not close in time). */
  terminate(): void {
    this.finished = true;
    this.detach();
    this.ws.terminate();
  }

  private closeWith(code: number, reason: string): void {
    this.finished = true;
    this.detach();
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  private sendJson(frame: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
    this.checkBuffered();
  }

  /**
   * Close a connection whose unsent bytes pass maxBufferedBytes (4008) and drop it soon
   * after: a client that does not read cannot make the server hold its frames without
   * bound. The session and its outbox stay, so the client resumes and gets the rest.
   */
  private checkBuffered(): void {
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.ctx.options.maxBufferedBytes || this.finished) return;
    this.log.info({ session: this.session, buffered }, 'duplex client does not read: closed 4008 (the session lives on)');
    this.closeWith(CLOSE_CODES.slowConsumer, 'send buffer full');
    setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
  }

  private caller(): Caller {
    return { address: this.address, ...(this.principal ? { principal: this.principal } : {}) };
  }

  private async onMessage(data: RawData, isBinary: boolean): Promise<void> {
    this.missedPings = 0;
    if (this.finished) return;
    if (isBinary) {
      return this.bad(new ItineraError('UNSUPPORTED_FRAME', 'Binary frames are not supported; send one JSON object per text frame.'), CLOSE_CODES.unsupported);
    }
    if (rawLength(data) > this.ctx.options.maxFrameBytes) return this.tooLarge(data);
    const parsed = parseClientFrame(rawText(data));
    if (!parsed.ok) {
      // A send frame that fails checks after hello is a refused message, not noise.
      return this.bad(parsed.error, CLOSE_CODES.invalid, parsed.id);
    }
    const frame = parsed.frame;
    if (frame.type === 'hello') return this.onHello(frame);
    if (this.hello) await this.hello;
    if (!this.session) {
      return this.bad(
        new ItineraError('HELLO_REQUIRED', `A "${frame.type}" frame came before hello; send {"type":"hello"} first.`),
        CLOSE_CODES.invalid,
        clientIdOf(frame),
      );
    }
    this.badStreak = 0;
    const session = this.session;
    switch (frame.type) {
      case 'send':
        return this.onSend(session, frame);
      case 'ack':
        await this.guard(() => this.ctx.sessions.ack(session, frame.seq));
        return this.keepAlive(false);
      case 'ping':
        this.sendJson({ type: 'pong' });
        return this.keepAlive(false);
      case 'bye':
        return this.onBye(session);
    }
  }

  private bad(err: ItineraError, closeCode: number, id?: string): void {
    this.sendJson(errorFrame(err, id));
    if (this.session) void this.keepAlive(false);
    if (++this.badStreak >= MAX_BAD_FRAMES) {
      this.log.info({ session: this.session, code: err.code }, `duplex client sent ${MAX_BAD_FRAMES} bad frames in a row: closed`);
      this.closeWith(closeCode, `${MAX_BAD_FRAMES} bad frames in a row`);
    }
  }

  private tooLarge(data: RawData): void {
    // Within ws's hard cap the frame is in memory anyway: name the send it refuses.
    let id: string | undefined;
    try {
      id = clientIdOf(JSON.parse(rawText(data)));
    } catch {
      id = undefined;
    }
    const max = this.ctx.options.maxFrameBytes;
    this.sendJson(errorFrame(new ItineraError('PAYLOAD_TOO_LARGE', `Frames are limited to ${max} bytes (got ${rawLength(data)}); send a smaller body.`), id));
    this.closeWith(CLOSE_CODES.tooLarge, 'frame too large');
  }

  private onHello(frame: HelloFrame): Promise<void> {
    if (this.session || this.hello) {
      this.bad(
        new ItineraError('BAD_FRAME', 'This connection already said hello; open a new connection to start or resume another session.'),
        CLOSE_CODES.invalid,
      );
      return Promise.resolve();
    }
    this.badStreak = 0;
    this.hello = this.startSession(frame).finally(() => (this.hello = undefined));
    return this.hello;
  }

  private async startSession(frame: HelloFrame): Promise<void> {
    const { sessions, options, registry } = this.ctx;
    let id: string;
    let token: string;
    let resumed: boolean;
    let from = 0;
    const auth = this.ctx.auth ?? OPEN_AUTHENTICATOR;
    try {
      // hello's credential is checked first: without one (auth required) nothing else is looked at.
      const caller = frame.credential !== undefined || frame.session === undefined ? await auth.authenticate({ credential: frame.credential }) : undefined;
      if (frame.session !== undefined) {
        const info = await sessions.authenticate(frame.session, frame.token);
        // A resume with another principal's credential is refused; with the token only, it is the owner's.
        this.principal = sessionPrincipal(auth, info, caller);
        id = info.id;
        token = frame.token as string;
        resumed = true;
        const lastSeq = Math.min(frame.lastSeq ?? 0, info.lastSeq);
        // The client has handled up to lastSeq: that is a cumulative ack.
        if (lastSeq > info.ackedSeq) await sessions.ack(id, lastSeq);
        from = Math.max(lastSeq, info.ackedSeq);
      } else {
        const limits = this.ctx.limits;
        this.principal = caller!;
        const owner = caller!.kind !== 'anonymous' ? { principal: caller! } : {};
        ({ id, token } = await (limits ? limits.createSession(this.caller(), () => sessions.create(owner)) : sessions.create(owner)));
        resumed = false;
      }
    } catch (error) {
      const err = toItineraError(error);
      if (err.status >= 500) this.log.error({ err: error }, 'duplex hello failed');
      this.principal = undefined;
      // The socket stays, as after any refused hello: the client may say hello again; a
      // connection that never gets a session is closed after two heartbeats (HELLO_REQUIRED).
      this.sendJson(errorFrame(err));
      return;
    }
    if (!this.isOpen) return;
    this.session = id;
    this.lastTouch = Date.now();
    registry.claim(id, this);
    const pump = new OutboxPump({
      sessions,
      session: id,
      from,
      batch: options.pollBatch,
      write: (frames) => this.write(frames),
      isOpen: () => this.isOpen,
      onGone: () => this.end('expired'),
      log: this.log,
    });
    this.pump = pump;
    this.unsubscribe = sessions.subscribe(id, (frame) => void pump.offer(frame));
    this.log.debug({ session: id, resumed, from, transport: this.transport }, 'duplex session opened');
    this.sendJson({
      type: 'welcome',
      session: id,
      token,
      resumed,
      heartbeatMs: options.heartbeatMs,
      inactivityTimeoutMs: options.sessionTtlMs,
      maxFrameBytes: options.maxFrameBytes,
    });
    await pump.run();
  }

  private async onSend(session: string, frame: SendFrame): Promise<void> {
    void this.keepAlive(false);
    try {
      await this.ctx.limits?.message(this.caller());
      // The principal was set at hello: its JWT may have expired or its API key been revoked since.
      if (this.principal && !(this.ctx.auth ?? OPEN_AUTHENTICATOR).stillValid(this.principal)) {
        throw new ItineraError(
          'UNAUTHORIZED',
          `the credential of this connection has expired or was revoked; reconnect and say hello with a fresh credential (and session ${session} with its token to resume it)`,
        );
      }
      const accepted = await acceptDuplexSend({ ...this.ctx, maxInFlight: this.ctx.options.maxInFlight }, session, this.transport, frame, this.principal);
      this.sendJson(accepted);
    } catch (error) {
      this.sendJson(errorFrame(toItineraError(error), frame.id));
    }
  }

  private async onBye(session: string): Promise<void> {
    this.finished = true;
    this.detach();
    // Other connections of the session on this node learn it is over (before the store's wake-up says "gone").
    this.ctx.registry.end(session, 'ended');
    await this.guard(() => this.ctx.sessions.end(session));
    this.log.debug({ session }, 'duplex session ended (bye)');
    try {
      this.ws.close(CLOSE_CODES.bye, 'bye');
    } catch {
      this.ws.terminate();
    }
  }

  /** Write frames in order; resolves when the socket took the last one (or closed). */
  private write(frames: OutboxFrame[]): Promise<void> {
    if (this.session) this.ctx.registry.noteDelivered(this.session, this.transport, frames);
    const written = new Promise<void>((resolve) => {
      frames.forEach((f, i) => this.ws.send(JSON.stringify(f), i === frames.length - 1 ? () => resolve() : undefined));
    });
    this.checkBuffered();
    return Promise.race([written, this.closed]);
  }

  /** Record activity (throttled); a session found gone closes the socket with `expired`. */
  private async keepAlive(check: boolean): Promise<void> {
    const session = this.session;
    if (!session || this.finished) return;
    const now = Date.now();
    if (!check && now - this.lastTouch < Math.min(1000, this.ctx.options.sessionTtlMs / 10)) return;
    this.lastTouch = now;
    try {
      if (check && !(await this.ctx.sessions.get(session))) throw new ItineraError('SESSION_NOT_FOUND', 'session expired');
      await this.ctx.sessions.touch(session);
    } catch (error) {
      if (toItineraError(error).code === 'SESSION_NOT_FOUND') this.end('expired');
      else this.log.warn({ session, err: error }, 'duplex session touch failed');
    }
  }

  private async guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const err = toItineraError(error);
      if (err.code === 'SESSION_NOT_FOUND') this.end('expired');
      else this.sendJson(errorFrame(err));
    }
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.session) this.ctx.registry.release(this.session, this);
  }

  private onClose(code: number): void {
    this.finished = true;
    this.markClosed();
    this.detach();
    this.log.debug({ session: this.session, code, transport: this.transport }, 'duplex connection closed');
  }
}
