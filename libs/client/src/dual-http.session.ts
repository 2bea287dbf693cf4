import { ItineraClientError } from './errors';
import type { AcceptedFrame, SendFrame } from './frames';
import { answerOf, type FetchLike } from './poll.link';

/** What `POST /duplex/sessions` answers for a dual-HTTP session. */
export interface DualHttpSessionInfo {
  session: string;
  token: string;
  /** Keep it: it is returned once. Give it to `createWebhookReceiver`. */
  webhookSecret: string;
  inactivityTimeoutMs: number;
}

export interface DualHttpSessionOptions {
  /** The bus, e.g. `http://localhost:3000`. */
  url: string;
  /** Where the bus POSTs this session's callbacks (the address `WebhookReceiver.listen` or your server serves). */
  callbackUrl: string;
  /** API key or JWT the session opens with. */
  credential?: string;
  fetch?: FetchLike;
}

/**
 * A dual-HTTP session (WCF's WSDualHttpBinding): messages go over HTTP like long
 * polling's; callbacks come to `callbackUrl`. Use `DualHttpSession.resume` with the
 * stored session and token after a restart.
 */
export class DualHttpSession {
  private chain: Promise<unknown> = Promise.resolve();
  private n = 0;

  private constructor(
    private readonly base: string,
    private readonly fetchFn: FetchLike,
    readonly info: DualHttpSessionInfo,
  ) {}

  static async open(opts: DualHttpSessionOptions): Promise<DualHttpSession> {
    const base = opts.url.replace(/\/+$/, '');
    const fetchFn = opts.fetch ?? fetch;
    const headers: Record<string, string> = {};
    if (opts.credential) {
      if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(opts.credential)) headers.authorization = `Bearer ${opts.credential}`;
      else headers['x-api-key'] = opts.credential;
    }
    const info = (await call(fetchFn, 'POST', `${base}/duplex/sessions`, headers, { callbackUrl: opts.callbackUrl })) as DualHttpSessionInfo;
    return new DualHttpSession(base, fetchFn, info);
  }

  static resume(opts: { url: string; fetch?: FetchLike } & DualHttpSessionInfo): DualHttpSession {
    const { url, fetch: f, ...info } = opts;
    return new DualHttpSession(url.replace(/\/+$/, ''), f ?? fetch, info);
  }

  get session(): string {
    return this.info.session;
  }

  /** Send one message (in order: the next waits for this one's answer). Resolves with the `accepted` frame. */
  send(msg: Omit<SendFrame, 'type' | 'id'> & { id?: string }): Promise<AcceptedFrame> {
    const body = { ...msg, id: msg.id ?? `m${++this.n}-${Date.now().toString(36)}` };
    const run = () => call(this.fetchFn, 'POST', this.url('/messages'), this.auth(), body) as Promise<AcceptedFrame>;
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** End the session for good (what is still pending is not delivered). */
  async close(): Promise<void> {
    await call(this.fetchFn, 'DELETE', this.url(''), this.auth(), undefined);
  }

  private url(path: string): string {
    return `${this.base}/duplex/sessions/${encodeURIComponent(this.info.session)}${path}`;
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.info.token}` };
  }
}

/** Open a dual-HTTP session: `const s = await openDualHttpSession({ url, callbackUrl })`, then `createWebhookReceiver({ secret: s.info.webhookSecret })`. */
export function openDualHttpSession(opts: DualHttpSessionOptions): Promise<DualHttpSession> {
  return DualHttpSession.open(opts);
}

async function call(fetchFn: FetchLike, method: string, url: string, headers: Record<string, string>, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new ItineraClientError('CONNECT_FAILED', `${method} ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  return answerOf(res, method, url);
}
