import { CLIENT_ERROR_CODES, ItineraClientError } from './errors';
import type { AcceptedFrame, ClosingInfo, OutboxFrame, ResumeInfo, SendFrame, Welcome } from './frames';
import type { Link, LinkEvents } from './link';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

interface PollAnswer {
  items: OutboxFrame[];
  more?: boolean;
  closing?: ClosingInfo;
}

const SESSION_GONE = new Set(['SESSION_NOT_FOUND', 'UNAUTHORIZED']);

/**
 * The polling-duplex binding over plain HTTP (`/duplex/sessions`). Sends go one at
 * a time, in order (the bus keeps a session's messages in the order it receives
 * them); one poll is always outstanding, `after` = the highest seq handled.
 */
export class PollingLink implements Link {
  readonly transport = 'long-polling' as const;
  private session?: string;
  private token?: string;
  private pollTimeoutMs = 15_000;
  private stopped = false;
  private poller?: AbortController;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly base: string,
    private readonly fetchFn: FetchLike,
    private readonly events: LinkEvents,
    private readonly opts: { connectTimeoutMs: number; credential?: string },
  ) {}

  /** End a session over HTTP without a link (DELETE). */
  static async endSession(base: string, fetchFn: FetchLike, session: string, token: string): Promise<void> {
    const link = new PollingLink(
      base,
      fetchFn,
      { frames: async () => undefined, closing: () => undefined, lost: () => undefined, lastSeq: () => 0 },
      { connectTimeoutMs: 5000 },
    );
    link.session = session;
    link.token = token;
    await link.close(true);
  }

  async open(resume?: ResumeInfo): Promise<Welcome> {
    let welcome: Welcome;
    if (resume) {
      this.session = resume.session;
      this.token = resume.token;
      const info = (await this.call('GET', '', undefined, this.opts.connectTimeoutMs)) as Record<string, unknown>;
      welcome = { ...(info as object), session: resume.session, token: resume.token, resumed: true } as Welcome;
    } else {
      const info = (await this.call('POST', null, undefined, this.opts.connectTimeoutMs)) as Welcome;
      this.session = info.session;
      this.token = info.token;
      welcome = { ...info, resumed: false };
    }
    if (typeof welcome.pollTimeoutMs === 'number') this.pollTimeoutMs = welcome.pollTimeoutMs;
    void this.loop();
    return welcome;
  }

  send(frame: SendFrame): Promise<AcceptedFrame> {
    const run = async (): Promise<AcceptedFrame> => {
      if (this.stopped) throw new ItineraClientError(CLIENT_ERROR_CODES.NOT_SENT, 'The long-polling link is closed.');
      const { type: _type, ...body } = frame;
      return (await this.call('POST', '/messages', body, 60_000)) as AcceptedFrame;
    };
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  ack(): void {
    // The next poll's `after` acknowledges.
  }

  async close(end: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.poller?.abort();
    if (end) await this.call('DELETE', '', undefined, 5000).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let answer: PollAnswer;
      try {
        answer = (await this.call('GET', `/poll?after=${this.events.lastSeq()}`, undefined, this.pollTimeoutMs + 10_000, true)) as PollAnswer;
      } catch (error) {
        if (this.stopped) return;
        this.stopped = true;
        const err = error as ItineraClientError;
        this.events.lost({ message: err.message, ...(SESSION_GONE.has(err.code) ? { sessionGone: true } : {}) });
        return;
      }
      if (this.stopped) return;
      if (answer.items?.length) await this.events.frames(answer.items);
      if (answer.closing && !this.stopped) {
        this.stopped = true;
        this.events.closing(answer.closing);
        const gone = answer.closing.reason === 'expired' || answer.closing.reason === 'ended';
        this.events.lost({ closing: answer.closing, message: `the server is closing (${answer.closing.reason})`, ...(gone ? { sessionGone: true } : {}) });
        return;
      }
    }
  }

  /**
   * One request. `path` null = the sessions collection. Answers that are not 2xx
   * reject with the problem's `code`; network failures with CONNECTION_LOST (or
   * CONNECT_FAILED when starting).
   */
  private async call(method: string, path: string | null, body: unknown, timeoutMs: number, isPoll = false): Promise<unknown> {
    const url = path === null ? `${this.base}/duplex/sessions` : `${this.base}/duplex/sessions/${encodeURIComponent(this.session ?? '')}${path}`;
    const headers: Record<string, string> = {};
    if (path !== null && this.token) headers.authorization = `Bearer ${this.token}`;
    // The credential opens the session (a JWT as a bearer, else an API key); the session token stands for it after.
    const credential = this.opts.credential;
    if (path === null && credential) {
      if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(credential)) headers.authorization = `Bearer ${credential}`;
      else headers['x-api-key'] = credential;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const ctrl = new AbortController();
    if (isPoll) this.poller = ctrl;
    const timer = setTimeout(() => ctrl.abort(), timeoutMs);
    let res: Response;
    try {
      res = await this.fetchFn(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: ctrl.signal });
    } catch (err) {
      const code = path === null || (method === 'GET' && path === '') ? CLIENT_ERROR_CODES.CONNECT_FAILED : CLIENT_ERROR_CODES.CONNECTION_LOST;
      throw new ItineraClientError(code, `${method} ${url} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    return answerOf(res, method, url);
  }
}

/**
 * The body of a bus answer: JSON (or nothing for 204) when it is 2xx, else the
 * problem+json's code, detail and pointers as an ItineraClientError.
 */
export async function answerOf(res: Response, method: string, url: string): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json;
  const p = (json ?? {}) as { code?: string; detail?: string; errors?: { pointer: string; message: string }[] };
  throw new ItineraClientError(p.code ?? `HTTP_${res.status}`, p.detail ?? `${method} ${url} answered ${res.status}`, {
    status: res.status,
    ...(p.errors ? { details: p.errors } : {}),
  });
}
