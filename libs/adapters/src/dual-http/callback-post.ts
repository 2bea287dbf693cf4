import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { redactUrl } from '@itinera/core';
import { refusalIn } from '../provider/address-guard';
import { CALLBACK_URL_REFUSED, type CallbackTarget } from './callback-url';

/** What one POST of a frame came to: `ok` is a 2xx; otherwise `why` says what went wrong (for the log). */
export interface PostOutcome {
  ok: boolean;
  status?: number;
  why?: string;
  /** Retry-After of the answer, when it gave one. */
  retryAfterMs?: number;
}

/** Kept-alive connections per scheme and policy: a socket the guard checked for a listed address is never reused for another. */
export class CallbackAgents {
  private readonly agents = new Map<string, HttpAgent>();

  get(secure: boolean, listed: boolean): HttpAgent {
    const key = `${secure ? 'https' : 'http'}${listed ? '+listed' : ''}`;
    let agent = this.agents.get(key);
    if (!agent) this.agents.set(key, (agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })));
    return agent;
  }

  destroy(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/**
 * POST one signed frame. Redirects are not followed (a 3xx is a failure: the
 * allow-list and the guard apply to the address the client gave, not to where it
 * points); the answer is read up to `maxResponseBytes` and otherwise ignored.
 */
export function postCallback(
  target: CallbackTarget,
  body: string,
  headers: Record<string, string>,
  o: { timeoutMs: number; maxResponseBytes: number; agents: CallbackAgents; signal?: AbortSignal },
): Promise<PostOutcome> {
  const { url } = target;
  const secure = url.protocol === 'https:';
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const done = (outcome: PostOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = (secure ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'itinera-webhooks',
      },
      agent: o.agents.get(secure, target.listed),
      lookup: target.lookup,
      signal,
    });
    req.on('error', (err) => {
      const refused = refusalIn(err, CALLBACK_URL_REFUSED);
      if (refused) return done({ ok: false, why: refused.message });
      if (timeout.aborted) return done({ ok: false, why: `no answer within ${o.timeoutMs} ms` });
      if (o.signal?.aborted) return done({ ok: false, why: 'shutting down' });
      const e = err as { code?: string; message?: string };
      done({ ok: false, why: e.code ?? e.message ?? 'network error' });
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const answered = (): PostOutcome => {
        if (status >= 200 && status < 300) return { ok: true, status };
        const location = res.headers.location;
        const why =
          status >= 300 && status < 400
            ? `answered ${status} (redirect to ${location ? redactUrl(location) : '?'}; redirects are not followed, give the final address as callbackUrl)`
            : `answered ${status}`;
        const retryAfter = retryAfterMs(res.headers['retry-after']);
        return { ok: false, status, why, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
      };
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= o.maxResponseBytes) return;
        res.destroy();
        req.destroy();
        done({ ok: false, status, why: `answer larger than ${o.maxResponseBytes} bytes; answer a callback with an empty 2xx` });
      });
      res.on('end', () => done(answered()));
      res.on('error', () => done({ ok: false, status, why: 'connection broke while reading the answer' }));
      res.on('close', () => done(res.complete ? answered() : { ok: false, status, why: 'connection closed before the whole answer arrived' }));
    });
    req.end(body);
  });
}

function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
