import { ItineraClientError } from './errors';
import type { CallbackFrame, FaultFrame, OutboxFrame } from './frames';

// Dual HTTP (Node only): the bus POSTs a session's callbacks to an address the client serves,
// signed the Standard Webhooks way. Node's modules are loaded when used, so the package's
// other builds never import them.

type Headers = Record<string, string | string[] | undefined>;

interface Hmac {
  update(data: string | Uint8Array): Hmac;
  digest(encoding: 'base64'): string;
}
interface CryptoModule {
  createHmac(algorithm: 'sha256', key: Uint8Array): Hmac;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}
/** The parts of Node's IncomingMessage and ServerResponse the receiver uses. */
export interface WebhookRequest {
  headers: Headers;
  method?: string;
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'error', listener: (arg?: unknown) => void): unknown;
  destroy?(): unknown;
}
export interface WebhookResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}
interface NodeServer {
  listen(port: number, host: string, cb: () => void): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  close(cb?: (err?: Error) => void): unknown;
  closeAllConnections?(): void;
  address(): { port: number } | string | null;
}
interface HttpModule {
  createServer(handler: (req: WebhookRequest, res: WebhookResponse) => void): NodeServer;
}

function nodeModule<T>(name: string): T {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const mod = getBuiltin?.(name) as T | undefined;
  if (!mod) throw new ItineraClientError('BAD_OPTIONS', 'The webhook receiver needs Node (20.16 or later).');
  return mod;
}

/** Code of a request the receiver refuses: missing or wrong signature headers, a stale timestamp, a bad body. */
export const WEBHOOK_INVALID = 'WEBHOOK_INVALID';

export interface WebhookReceiverOptions {
  /** The session's `webhookSecret` (`whsec_…`), from `openDualHttpSession`. */
  secret: string;
  /** How far `webhook-timestamp` may be from now, in seconds (default 300). */
  toleranceSec?: number;
  /** Largest body read (default 1 MiB). */
  maxBodyBytes?: number;
  /** Highest seq already handled (a client that stored it before restarting): frames up to it are acknowledged unhandled. */
  lastSeq?: number;
  /** Handlers per callback action, called with the body and the frame. */
  callbacks?: Record<string, (body: any, frame: CallbackFrame) => unknown>;
  /** Every callback frame (after the action's handler, if any). */
  onCallback?(frame: CallbackFrame): unknown;
  onFault?(frame: FaultFrame): unknown;
  /** A handler threw: the frame still counts as handled (as on the other transports). Default: console.error. */
  onError?(error: unknown, frame: OutboxFrame): void;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function base64Bytes(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Verifies and hands over the callbacks of one dual-HTTP session: each request's
 * Standard Webhooks signature (constant-time compare), its timestamp (within the
 * tolerance) and its webhook-id (a replay within the window is answered but not
 * handled again); then the frame, in seq order, once (a seq already handled is
 * acknowledged and dropped: the bus redelivers when an answer is lost).
 */
export class WebhookReceiver {
  /** Highest seq handled. */
  lastSeq: number;
  private readonly key: Uint8Array;
  private readonly crypto = nodeModule<CryptoModule>('node:crypto');
  private readonly seen = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: WebhookReceiverOptions) {
    if (typeof o.secret !== 'string' || !o.secret.startsWith('whsec_')) {
      throw new ItineraClientError('BAD_OPTIONS', 'secret must be the webhookSecret the bus returned (whsec_…).');
    }
    this.key = base64Bytes(o.secret.slice('whsec_'.length));
    this.lastSeq = o.lastSeq ?? 0;
  }

  /** Check one request; returns its frame. Throws WEBHOOK_INVALID (status 401, or 400 for a body that is not a frame). */
  verify(headers: Headers, body: Uint8Array | string): OutboxFrame {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const signatures = header(headers, 'webhook-signature');
    if (!id || !ts || !signatures) throw invalid('webhook-id, webhook-timestamp and webhook-signature headers are required', 401);
    if (!/^\d+$/.test(ts)) throw invalid('webhook-timestamp must be Unix seconds', 401);
    const now = Math.floor((this.o.now ?? Date.now)() / 1000);
    const tolerance = this.o.toleranceSec ?? 300;
    if (Math.abs(now - Number(ts)) > tolerance) throw invalid(`webhook-timestamp is more than ${tolerance} s away from now`, 401);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const expected = new TextEncoder().encode(this.crypto.createHmac('sha256', this.key).update(`${id}.${ts}.`).update(bytes).digest('base64'));
    // The header may carry several space-separated signatures (key rotation); one match is enough.
    const ok = signatures.split(' ').some((s) => {
      if (!s.startsWith('v1,')) return false;
      const given = new TextEncoder().encode(s.slice(3));
      return given.length === expected.length && this.crypto.timingSafeEqual(given, expected);
    });
    if (!ok) throw invalid('webhook-signature does not match (wrong secret, or the body was changed)', 401);
    let frame: unknown;
    try {
      frame = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw invalid('the body is not JSON', 400);
    }
    const f = frame as Partial<OutboxFrame> | null;
    if (!f || (f.type !== 'callback' && f.type !== 'fault') || !Number.isSafeInteger(f.seq)) throw invalid('the body is not a callback or fault frame', 400);
    return f as OutboxFrame;
  }

  /**
   * Verify and handle one request, whatever the web framework: answers the status to
   * reply with (204 handled or already handled, 401/400 refused). Give it the raw body.
   */
  async receive(headers: Headers, body: Uint8Array | string): Promise<{ status: number; handled: boolean; error?: string }> {
    let frame: OutboxFrame;
    try {
      frame = this.verify(headers, body);
    } catch (error) {
      const err = error as ItineraClientError;
      return { status: err.status ?? 400, handled: false, error: err.message };
    }
    const id = header(headers, 'webhook-id')!;
    const now = (this.o.now ?? Date.now)();
    this.forgetOld(now);
    const run = async (): Promise<boolean> => {
      if (this.seen.has(id) || frame.seq <= this.lastSeq) return false;
      this.seen.set(id, now);
      try {
        if (frame.type === 'callback') {
          await this.o.callbacks?.[frame.action]?.(frame.body, frame);
          await this.o.onCallback?.(frame);
        } else {
          await this.o.onFault?.(frame);
        }
      } catch (error) {
        (this.o.onError ?? ((e: unknown) => console.error('itinera webhook handler failed', e)))(error, frame);
      }
      this.lastSeq = frame.seq;
      return true;
    };
    // One frame at a time: the bus sends them in order, and a retry waits for the attempt before it.
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return { status: 204, handled: await result };
  }

  /** A `(req, res)` handler for node:http (or anything with that shape). */
  handler(): (req: WebhookRequest, res: WebhookResponse) => void {
    const limit = this.o.maxBodyBytes ?? 1_048_576;
    return (req, res) => {
      const answer = (status: number, problem?: string): void => {
        res.statusCode = status;
        if (problem) res.setHeader('content-type', 'application/problem+json');
        res.end(problem ? JSON.stringify({ status, code: WEBHOOK_INVALID, detail: problem }) : undefined);
      };
      if (req.method !== undefined && req.method !== 'POST') return answer(405, 'callbacks are POSTed');
      const chunks: Uint8Array[] = [];
      let size = 0;
      let over = false;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > limit) over = true;
        else chunks.push(chunk);
      });
      req.on('error', () => undefined);
      req.on('end', () => {
        if (over) return answer(413, `the body is larger than ${limit} bytes`);
        const body = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) body.set(c, (at += c.length) - c.length);
        this.receive(req.headers, body).then(
          (r) => answer(r.status, r.error),
          (err: unknown) => answer(500, String(err)),
        );
      });
    };
  }

  /** Serve the receiver on node:http at `http://<host>:<port>/` (port 0: any free one). */
  listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number; close(): Promise<void> }> {
    const server = nodeModule<HttpModule>('node:http').createServer(this.handler());
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const addr = server.address();
        const bound = typeof addr === 'object' && addr ? addr.port : port;
        resolve({
          url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
          port: bound,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections?.();
            }),
        });
      });
    });
  }

  private forgetOld(now: number): void {
    const horizon = now - 2 * (this.o.toleranceSec ?? 300) * 1000;
    for (const [id, at] of this.seen) {
      if (at >= horizon) break;
      this.seen.delete(id);
    }
  }
}

function invalid(message: string, status: number): ItineraClientError {
  return new ItineraClientError(WEBHOOK_INVALID, message, { status });
}

export function createWebhookReceiver(opts: WebhookReceiverOptions): WebhookReceiver {
  return new WebhookReceiver(opts);
}
