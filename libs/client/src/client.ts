import { CallbackRegistry, type BindTarget, type CallbackAction, type CallbackHandler, type ContractCallbackFrame, type FaultHandler } from './callbacks';
import type { ClientEvents, ClientState, ItineraClientOptions } from './client-types';
import { Emitter } from './emitter';
import { Inbox } from './inbox';
import { CLIENT_ERROR_CODES, ItineraClientError } from './errors';
import type { AcceptedFrame, ClosingInfo, OutboxFrame, ResumeInfo, SendFrame, Welcome } from './frames';
import type { Link, LinkLoss, TransportName } from './link';
import { OutgoingQueue } from './outgoing';
import { chooseTransport, createLink, fetchOf } from './link-factory';
import { PollingLink, type FetchLike } from './poll.link';

const SESSION_GONE = new Set(['SESSION_NOT_FOUND', 'UNAUTHORIZED']);

/**
 * The duplex client: sends messages to itineraries and receives their callbacks
 * and faults, over WebSocket or long polling, resuming its session after a drop.
 * `Callbacks` is the callback contract, each callback action and its body
 * (`ItineraClient<{ Result: { result: number } }>`): `on` and `bind` are checked against it.
 */
export class ItineraClient<Callbacks extends object = Record<string, any>> {
  private readonly opts: Required<Pick<ItineraClientOptions, 'sendTimeoutMs' | 'connectTimeoutMs' | 'ackDelayMs'>> & ItineraClientOptions;
  private readonly base: string;
  private readonly emitter = new Emitter<ClientEvents>();
  private readonly callbacks = new CallbackRegistry();
  private readonly queue = new OutgoingQueue((link) => link === this.link && this.onLost({ sessionGone: true, message: 'session not found' }));
  private readonly idPrefix = Math.random().toString(36).slice(2, 10);
  private ids = 0;
  private link?: Link;
  private generation = 0;
  private sessionId?: string;
  private token?: string;
  private welcome?: Welcome;
  private readonly inbox: Inbox;
  private fellBack = false;
  private attempt = 0;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private connecting?: Promise<void>;
  private current: ClientState = 'idle';

  /** Create and connect. */
  static async connect<Callbacks extends object = Record<string, any>>(opts: ItineraClientOptions = {}): Promise<ItineraClient<Callbacks>> {
    const client = new ItineraClient<Callbacks>(opts);
    await client.connect();
    return client;
  }

  constructor(opts: ItineraClientOptions = {}) {
    this.opts = { sendTimeoutMs: 30_000, connectTimeoutMs: 10_000, ackDelayMs: 50, ...opts };
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const url = opts.url ?? origin;
    if (!url) throw new ItineraClientError('BAD_OPTIONS', 'Pass { url: "http://host:port" } (the bus base URL).');
    this.base = url.replace(/^ws(s?):/i, 'http$1:').replace(/\/+$/, '');
    if (opts.resume) {
      this.sessionId = opts.resume.session;
      this.token = opts.resume.token;
    }
    this.inbox = new Inbox({
      dispatch: (f) => this.callbacks.dispatch(f),
      onHandlerError: (error, frame) => this.emitter.emit('error', { error, frame }),
      ack: (seq) => {
        if (!this.link || this.current !== 'connected') return false;
        this.link.ack(seq);
        return true;
      },
      ackDelayMs: this.opts.ackDelayMs,
    });
    if (opts.resume) this.inbox.reset(opts.resume.lastSeq);
  }

  get state(): ClientState {
    return this.current;
  }
  get session(): string | undefined {
    return this.sessionId;
  }
  /** Transport of the live link. */
  get transport(): TransportName | undefined {
    return this.link?.transport;
  }
  /** Highest callback/fault seq handled. */
  get lastSeq(): number {
    return this.inbox.seq;
  }
  /** What `resume` needs to pick this session up later (another page load, another process). */
  get resumeInfo(): ResumeInfo | undefined {
    return this.sessionId && this.token ? { session: this.sessionId, token: this.token, lastSeq: this.inbox.seq } : undefined;
  }

  async connect(): Promise<void> {
    if (this.current === 'closed') throw new ItineraClientError(CLIENT_ERROR_CODES.CLIENT_CLOSED, 'This client was closed; create a new one.');
    if (this.current === 'connected' || this.current === 'reconnecting') return;
    if (this.connecting) return this.connecting;
    this.current = 'connecting';
    this.connecting = this.establish()
      .catch((err) => {
        if (this.current === 'connecting') this.current = 'idle';
        throw err;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Send a message to an itinerary. Resolves with the `accepted` frame (`reply` set
   * for a request-response operation); rejects with an ItineraClientError whose
   * `code` is the bus's (ITINERARY_NOT_FOUND, VALIDATION_FAILED, …) or the client's
   * (CONNECTION_LOST, TIMEOUT, CLIENT_CLOSED). Sent while reconnecting, it waits.
   */
  send(itinerary: string, action: string, body?: unknown, opts: { version?: string; timeoutMs?: number } = {}): Promise<AcceptedFrame> {
    if (this.current === 'closed') return Promise.reject(new ItineraClientError(CLIENT_ERROR_CODES.CLIENT_CLOSED, 'This client was closed; create a new one.'));
    const frame: SendFrame = { type: 'send', id: `${this.idPrefix}-${++this.ids}`, itinerary, action, body: body === undefined ? null : body };
    if (opts.version !== undefined) frame.version = opts.version;
    const max = this.welcome?.maxFrameBytes;
    if (max && new TextEncoder().encode(JSON.stringify(frame)).length > max) {
      return Promise.reject(new ItineraClientError('PAYLOAD_TOO_LARGE', `The message is larger than the bus accepts (${max} bytes); send a smaller body.`));
    }
    const result = this.queue.add(frame, opts.timeoutMs ?? this.opts.sendTimeoutMs);
    if (this.current === 'connected' && this.link) this.queue.pump(this.link);
    return result;
  }

  /** Handle callbacks named `action` (e.g. `Result`). Returns a function that removes the handler. */
  on<A extends CallbackAction<Callbacks>>(action: A, handler: CallbackHandler<Callbacks[A], A>): () => void {
    return this.callbacks.on(action, handler as CallbackHandler);
  }

  /** Handle every callback, whatever its action (`frame.action` tells them apart). */
  onCallback(handler: (body: Callbacks[CallbackAction<Callbacks>], frame: ContractCallbackFrame<Callbacks>) => void | Promise<void>): () => void {
    return this.callbacks.onCallback(handler as CallbackHandler);
  }

  /** Handle fault frames (an accepted message whose itinerary failed for good). */
  onFault(handler: FaultHandler): () => void {
    return this.callbacks.onFault(handler);
  }

  /**
   * Bind a callback contract, as WCF's CallbackHandler: each method handles the
   * callback action of its name (`{ Result(body) {…}, Equation(body) {…} }`). With a
   * typed client, a handler missing, misspelt or taking the wrong body does not compile.
   */
  bind(contract: BindTarget<Callbacks>): () => void {
    return this.callbacks.bind(contract);
  }

  /** Lifecycle events: connected, resumed, disconnected, closing, expired, fallback, error, closed. */
  onEvent<K extends keyof ClientEvents>(event: K, handler: (payload: ClientEvents[K]) => void): () => void {
    return this.emitter.on(event, handler);
  }

  /** The next `event` (rejects with TIMEOUT after `timeoutMs`). */
  nextEvent<K extends keyof ClientEvents>(event: K, timeoutMs = 30_000): Promise<ClientEvents[K]> {
    return this.emitter.next(event, timeoutMs, () => new ItineraClientError(CLIENT_ERROR_CODES.TIMEOUT, `No ${String(event)} event within ${timeoutMs} ms.`));
  }

  /** Move the session to another transport (resumed there, same seq). */
  async switchTransport(transport: 'websocket' | 'long-polling' | 'auto'): Promise<void> {
    this.opts.transport = transport;
    this.fellBack = false;
    if (this.current === 'idle' || this.current === 'closed') return;
    if (this.connecting) await this.connecting.catch(() => undefined);
    const old = this.link;
    this.inbox.flush();
    this.dropLink();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.current = 'reconnecting';
    await old?.close(false);
    try {
      await this.establish();
    } catch (err) {
      if (this.current === 'reconnecting') this.scheduleReconnect();
      throw err;
    }
  }

  /**
   * Close. By default the session ends for good (`bye` / DELETE); `{ end: false }`
   * only disconnects, so the session can be resumed later with `resumeInfo`.
   */
  async close(opts: { end?: boolean } = {}): Promise<void> {
    if (this.current === 'closed') return;
    const end = opts.end ?? true;
    this.current = 'closed';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.inbox.flush();
    const link = this.link;
    this.dropLink();
    this.queue.failAll(CLIENT_ERROR_CODES.CLIENT_CLOSED, 'The client was closed before this message was sent.');
    if (link) await link.close(end);
    else if (end && this.sessionId && this.token) {
      // Between links: end the session over HTTP.
      await PollingLink.endSession(this.base, this.fetchFn(), this.sessionId, this.token).catch(() => undefined);
    }
    this.emitter.emit('disconnected', { reason: 'client', willReconnect: false });
    this.emitter.emit('closed', { reason: end ? 'ended' : 'disconnected' });
  }

  private async establish(): Promise<void> {
    let transport = this.chooseTransport();
    for (;;) {
      const link = this.makeLink(transport);
      const resume = this.resumeInfo;
      try {
        const welcome = await link.open(resume);
        if (link !== this.link || this.current === 'closed') {
          await link.close(false);
          throw new ItineraClientError(CLIENT_ERROR_CODES.CLIENT_CLOSED, 'The client was closed or switched while connecting.');
        }
        return this.onWelcome(link, welcome);
      } catch (error) {
        const err = error instanceof ItineraClientError ? error : new ItineraClientError(CLIENT_ERROR_CODES.CONNECT_FAILED, String(error));
        if (link === this.link) this.dropLink();
        if (this.current === 'closed' || err.code === CLIENT_ERROR_CODES.CLIENT_CLOSED) throw err;
        if (transport === 'websocket' && (this.opts.transport ?? 'auto') === 'auto' && err.code === CLIENT_ERROR_CODES.CONNECT_FAILED) {
          this.fellBack = true;
          this.emitter.emit('fallback', { from: 'websocket', to: 'long-polling', error: err });
          transport = 'long-polling';
          continue;
        }
        if (resume && SESSION_GONE.has(err.code)) {
          this.forgetSession();
          continue;
        }
        throw err;
      }
    }
  }

  private chooseTransport(): TransportName {
    return chooseTransport(this.opts, this.fellBack);
  }

  private fetchFn(): FetchLike {
    return fetchOf(this.opts);
  }

  private makeLink(transport: TransportName): Link {
    const gen = ++this.generation;
    const mine = () => gen === this.generation;
    this.link = createLink(transport, this.base, this.opts, {
      frames: (frames: OutboxFrame[]) => (mine() ? this.inbox.enqueue(frames) : Promise.resolve()),
      closing: (info: ClosingInfo) => void (mine() && this.emitter.emit('closing', info, this.reportError)),
      lost: (loss: LinkLoss) => void (mine() && this.onLost(loss)),
      lastSeq: () => this.inbox.seq,
      error: (error: ItineraClientError) => this.emitter.emit('error', { error }),
    });
    return this.link;
  }

  private dropLink(): void {
    this.link = undefined;
    this.generation++;
  }

  private onWelcome(link: Link, welcome: Welcome): void {
    const resumed = welcome.resumed && welcome.session === this.sessionId;
    this.inbox.reset(resumed ? this.inbox.seq : 0);
    this.sessionId = welcome.session;
    this.token = welcome.token;
    this.welcome = welcome;
    this.current = 'connected';
    this.attempt = 0;
    if (resumed) this.emitter.emit('resumed', { session: welcome.session, transport: link.transport, lastSeq: this.inbox.seq }, this.reportError);
    else this.emitter.emit('connected', { session: welcome.session, transport: link.transport }, this.reportError);
    if (this.link === link) this.queue.pump(link);
  }

  private onLost(loss: LinkLoss): void {
    if (this.current === 'closed') return;
    this.dropLink();
    this.inbox.stop();
    const reason = loss.closing?.reason ?? 'lost';
    if (reason === 'replaced' || reason === 'ended') {
      this.current = 'closed';
      this.queue.failAll(CLIENT_ERROR_CODES.CLIENT_CLOSED, `The session was ${reason} elsewhere; this message was not sent.`);
      this.emitter.emit('disconnected', { reason, ...(loss.code ? { code: loss.code } : {}), message: loss.message, willReconnect: false }, this.reportError);
      this.emitter.emit('closed', { reason }, this.reportError);
      return;
    }
    if (loss.sessionGone) this.forgetSession();
    const willReconnect = this.opts.reconnect !== false;
    this.emitter.emit('disconnected', { reason, ...(loss.code ? { code: loss.code } : {}), message: loss.message, willReconnect }, this.reportError);
    if (!willReconnect) {
      this.current = 'closed';
      this.queue.failAll(CLIENT_ERROR_CODES.CLIENT_CLOSED, 'Disconnected and reconnect is off; this message was not sent.');
      this.emitter.emit('closed', { reason }, this.reportError);
      return;
    }
    this.current = 'reconnecting';
    this.scheduleReconnect(loss.closing?.retryAfterMs);
  }

  private scheduleReconnect(delayMs?: number): void {
    const r = this.opts.reconnect || {};
    const min = r.minDelayMs ?? 250;
    const max = r.maxDelayMs ?? 10_000;
    const backoff = Math.min(max, min * 2 ** Math.min(this.attempt, 20)) * (0.8 + 0.4 * Math.random());
    this.attempt++;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(
      () => {
        if (this.current !== 'reconnecting') return;
        this.establish().catch((err: unknown) => {
          if (this.current !== 'reconnecting') return;
          if (r.maxAttempts !== undefined && this.attempt >= r.maxAttempts) {
            this.current = 'closed';
            this.queue.failAll(CLIENT_ERROR_CODES.CONNECT_FAILED, `Could not reconnect after ${this.attempt} attempts.`);
            this.emitter.emit('closed', { reason: 'reconnect-failed' }, this.reportError);
            return;
          }
          this.emitter.emit('error', { error: err }, this.reportError);
          this.scheduleReconnect();
        });
      },
      delayMs ?? Math.round(backoff),
    );
  }

  private forgetSession(): void {
    if (this.sessionId) this.emitter.emit('expired', { session: this.sessionId }, this.reportError);
    this.sessionId = undefined;
    this.token = undefined;
    this.inbox.reset(0);
  }

  private readonly reportError = (error: unknown): void => this.emitter.emit('error', { error });
}
