import {
  FrameLog,
  Refused,
  credentialHeaders,
  isOutboxFrame,
  type DriverSession,
  type DuplexDriver,
  type Liveness,
  type NodeTarget,
  type OpenOptions,
  type OutboxFrame,
  type ResumeOptions,
  type SendAnswer,
  type SessionRef,
  type NotApplicable,
} from './duplex-driver';

interface Answer {
  status: number;
  body: any;
}

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal } = {}): Promise<Answer> {
  const headers = { ...(init.headers ?? {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * One long-polling session: a poll loop (`GET …/poll?after=N`, which acknowledges up to N)
 * while connected. With autoAck the loop acknowledges what it received, as the client
 * library does; without, it sends only the test's acknowledgement point.
 */
class PollSession implements DriverSession {
  readonly transport = 'poll' as const;
  private readonly log = new FrameLog();
  private stopped = false;
  private readonly abort = new AbortController();
  private ackPoint?: number;
  private n = 0;

  constructor(
    private readonly node: NodeTarget,
    readonly ref: SessionRef,
    private readonly autoAck: boolean,
    lastSeq?: number,
  ) {
    this.ackPoint = lastSeq;
    void this.loop();
  }

  get frames(): OutboxFrame[] {
    return this.log.frames;
  }

  private get url(): string {
    return `${this.node.url}/duplex/sessions/${this.ref.session}`;
  }

  private get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.ref.token}` };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const fresh = await this.pollOnce(this.autoAck ? this.log.highest() || this.ackPoint : this.ackPoint).catch(() => -1);
      // Frames already seen come back until acknowledged: do not spin on them.
      if (fresh <= 0 && !this.stopped) await new Promise((r) => setTimeout(r, fresh < 0 ? 200 : 50));
    }
  }

  /** One poll; returns how many frames were new (0 after an empty hold). */
  private async pollOnce(after?: number): Promise<number> {
    const r = await call(`${this.url}/poll${after === undefined ? '' : `?after=${after}`}`, { headers: this.auth, signal: this.abort.signal });
    if (r.status !== 200) throw new Refused(r.body?.code ?? `HTTP_${r.status}`, r.status);
    const seen = this.log.highest();
    const fresh = (r.body.items as unknown[]).filter(isOutboxFrame).filter((f) => f.seq > seen);
    for (const f of fresh) this.log.record(f);
    return fresh.length;
  }

  async send(itinerary: string, action: string, body?: unknown): Promise<SendAnswer> {
    const id = `p${++this.n}`;
    const r = await call(`${this.url}/messages`, {
      method: 'POST',
      headers: this.auth,
      body: { id, itinerary, action, ...(body === undefined ? {} : { body }) },
    });
    return r.status === 202 ? { accepted: true, messageId: r.body.messageId } : { accepted: false, code: r.body?.code };
  }

  waitForSeq(seq: number, timeoutMs?: number): Promise<OutboxFrame[]> {
    return this.log.waitForSeq(seq, timeoutMs);
  }

  async ack(seq: number): Promise<void> {
    this.ackPoint = seq;
    // A poll carries the acknowledgement now (it answers a poll being held with nothing).
    await this.pollOnce(seq);
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
  }

  async end(): Promise<void> {
    // DELETE first: the server answers a poll it holds (closing `ended`), so nothing is cut mid-request.
    const r = await call(this.url, { method: 'DELETE', headers: this.auth });
    this.stopped = true;
    if (r.status !== 204) await this.disconnect();
  }
}

/** Duplex over HTTP long polling (the polling-duplex binding): `/duplex/sessions`. */
export class PollDriver implements DuplexDriver {
  readonly transport = 'poll' as const;
  readonly acksOnReceipt = false;
  static readonly notApplicable: NotApplicable = {};
  readonly notApplicable = PollDriver.notApplicable;
  private readonly sessions = new Set<PollSession>();

  async open(node: NodeTarget, opts: OpenOptions = {}): Promise<DriverSession> {
    const r = await call(`${node.url}/duplex/sessions`, {
      method: 'POST',
      headers: { ...credentialHeaders(opts.credential), ...(opts.origin ? { origin: opts.origin } : {}) },
    });
    if (r.status !== 201) throw new Refused(r.body?.code ?? `HTTP_${r.status}`, r.status, r.body?.detail);
    return this.track(new PollSession(node, { session: r.body.session, token: r.body.token }, opts.autoAck ?? true));
  }

  async resume(node: NodeTarget, ref: SessionRef, opts: ResumeOptions = {}): Promise<DriverSession> {
    // The resume check (GET /duplex/sessions/{S}) answers as a poll would: 404 SESSION_NOT_FOUND, 401.
    const r = await call(`${node.url}/duplex/sessions/${ref.session}`, { headers: { authorization: `Bearer ${ref.token}` } });
    if (r.status !== 200) throw new Refused(r.body?.code ?? `HTTP_${r.status}`, r.status, r.body?.detail);
    return this.track(new PollSession(node, ref, opts.autoAck ?? true, opts.lastSeq));
  }

  /** The poll is the heartbeat: held while nothing is pending, answered empty after pollTimeoutMs. */
  async observeLiveness(node: NodeTarget, forMs: number, credential: string): Promise<Liveness> {
    const r = await call(`${node.url}/duplex/sessions`, { method: 'POST', headers: credentialHeaders(credential) });
    const url = `${node.url}/duplex/sessions/${r.body.session}`;
    const auth = { authorization: `Bearer ${r.body.token}` };
    let beats = 0;
    const end = Date.now() + forMs;
    while (Date.now() < end) {
      const p = await call(`${url}/poll?after=0`, { headers: auth });
      if (p.status === 200 && p.body.items.length === 0) beats++;
    }
    await call(url, { method: 'DELETE', headers: auth });
    return { kind: 'poll-hold', beats };
  }

  /** A client that stops polling holds no connection to drop: its session waits for the inactivity timeout. */
  async goSilent(node: NodeTarget, waitMs: number, credential: string): Promise<{ ref: SessionRef; dropped: boolean }> {
    const r = await call(`${node.url}/duplex/sessions`, { method: 'POST', headers: credentialHeaders(credential) });
    await new Promise((res) => setTimeout(res, waitMs));
    return { ref: { session: r.body.session, token: r.body.token }, dropped: false };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.disconnect()));
  }

  private track(s: PollSession): PollSession {
    this.sessions.add(s);
    return s;
  }
}
