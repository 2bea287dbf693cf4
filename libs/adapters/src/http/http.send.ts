import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { defineAdapter, ItineraError, messageLogFields, type OutboundMessage, type SendContext, type SendOutcome } from '@itinera/core';
import { checkOutbound, checkUrlAddress, type CheckedTarget } from '../provider/check-url';
import { redactAddress } from '../provider/allow-list';
import { refusalIn } from '../provider/address-guard';
import { outgoingTraceContext } from '@itinera/observability';

export type HttpSendOptions = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers: Record<string, unknown>;
  timeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  contentType: string;
  expectJson: boolean;
  username?: string;
  password?: string;
  maxResponseBytes?: number;
};

/** Largest answer read when neither the endpoint nor the bus sets one (ITINERA_SEND_MAX_RESPONSE_BYTES). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;

/** Longest wait between retries, whatever Retry-After asks: a worker slot is held meanwhile. */
export const MAX_RETRY_WAIT_MS = 30_000;
const EXCERPT_CHARS = 200;

/** HTTP(S) off-ramp: one request per message, 2xx is success. */
export const httpSendAdapter = defineAdapter<HttpSendOptions>({
  name: 'http',
  summary:
    'Sends the message body to an HTTP(S) endpoint. Success is a 2xx answer; network errors, timeouts, 5xx and 429 are transient (retried here, then by the step retry policy), other answers fail the step. Passes Idempotency-Key, Itinera-Message-Id, Itinera-Correlation-Id and the W3C traceparent/tracestate of the sending step span downstream. Redirects are not followed, so the allow-list always applies to the real target; the SSRF guard checks the address the host resolves to when connecting; an answer larger than maxResponseBytes fails the step.',
  spec: {
    method: { type: 'string', description: 'HTTP method.', default: 'POST', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], examples: ['PUT'] },
    headers: {
      type: 'object',
      description: 'Extra request headers (name to value). The Idempotency-Key and Itinera-* headers are always set by the adapter.',
      default: {},
      examples: [{ 'x-api-key': 'demo' }],
    },
    timeoutMs: {
      type: 'integer',
      description: 'Time allowed for one request, answer body included.',
      default: 5000,
      minimum: 1,
      maximum: 300_000,
      examples: [2000],
    },
    retries: {
      type: 'integer',
      description:
        'Retries of a transient failure (network error, timeout, 5xx, 429) inside the adapter, with exponential backoff; 0 leaves retrying to the step retry policy.',
      default: 0,
      minimum: 0,
      maximum: 10,
      examples: [2],
    },
    retryBackoffMs: {
      type: 'integer',
      description: 'Wait before the first retry; doubles on each further retry. A Retry-After answer header, when longer, wins (up to 30 s).',
      default: 200,
      minimum: 0,
      maximum: MAX_RETRY_WAIT_MS,
      examples: [500],
    },
    contentType: {
      type: 'string',
      description: 'Content-Type of the request body. JSON types send the body as JSON; others send a string body as is and anything else as JSON.',
      default: 'application/json',
      examples: ['application/json', 'text/plain'],
    },
    expectJson: {
      type: 'boolean',
      description:
        'Require a JSON answer and parse it (a 2xx answer that is not JSON fails the step). When false, answers with a JSON content type are parsed and others kept as text.',
      default: false,
      examples: [true],
    },
    username: {
      type: 'string',
      description: 'User for HTTP Basic authentication. Credentials never go in the address (a URL with user:password@ is refused with ADDRESS_CREDENTIALS).',
      examples: ['orders-bot'],
    },
    password: { type: 'string', description: 'Password for HTTP Basic authentication (with username).', examples: ['s3cret'] },
    maxResponseBytes: {
      type: 'integer',
      description:
        'Largest answer read, in bytes; a longer one is dropped and fails the step (SEND_FAILED). Can only lower the bus-wide ITINERA_SEND_MAX_RESPONSE_BYTES.',
      minimum: 1,
      examples: [65536],
    },
  },
  checkAddress: (address) => checkUrlAddress(address, ['http:', 'https:']),
  async send(address, message, options, ctx) {
    const target = checkOutbound('http', address, ctx);
    const retries = options.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await sendOnce(target, address, message, options, ctx);
      } catch (err) {
        const e = err as ItineraError & { retryAfterMs?: number };
        if (!(err instanceof ItineraError) || !err.transient || attempt >= retries || ctx.signal?.aborted) throw err;
        const backoff = (options.retryBackoffMs ?? 200) * 2 ** attempt;
        const wait = Math.min(Math.max(backoff, e.retryAfterMs ?? 0), MAX_RETRY_WAIT_MS);
        ctx.logger.debug(
          { adapter: 'http', address: redactAddress(address), ...messageLogFields(message.envelope, message.step), attempt: attempt + 1, waitMs: wait, code: err.code },
          'http send retry',
        );
        await sleep(wait, ctx.signal);
      }
    }
  },
});

async function sendOnce(target: CheckedTarget, address: string, message: OutboundMessage, o: HttpSendOptions, ctx: SendContext): Promise<SendOutcome> {
  const method = o.method ?? 'POST';
  const contentType = o.contentType ?? 'application/json';
  const where = `${method} ${redactAddress(address)}`;
  const headers: Record<string, string> = {};
  const put = (src: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  };
  const hasBody = method !== 'GET';
  if (hasBody) headers['content-type'] = contentType;
  if (o.username !== undefined || o.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${o.username ?? ''}:${o.password ?? ''}`).toString('base64')}`;
  }
  put(message.headers ?? {});
  put(o.headers ?? {});
  put({
    'idempotency-key': message.idempotencyKey,
    'itinera-message-id': message.envelope.id,
    'itinera-correlation-id': message.envelope.correlationId,
    'itinera-action': message.envelope.action,
  });
  // The same trace downstream, with the sending step's span as the parent.
  const trace = outgoingTraceContext(message);
  if (trace) put({ traceparent: trace.traceparent, tracestate: trace.tracestate });

  const limit = Math.min(o.maxResponseBytes ?? Number.MAX_SAFE_INTEGER, ctx.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  const timeout = AbortSignal.timeout(o.timeoutMs ?? 5000);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  let res: Answer;
  try {
    res = await exchange(target, method, headers, hasBody ? encodeBody(message.body, contentType) : undefined, signal, limit);
  } catch (err) {
    const refused = refusalIn(err);
    if (refused) throw refused;
    if (err instanceof AnswerTooLarge) {
      throw new ItineraError(
        'SEND_FAILED',
        `${where}: answer larger than ${limit} bytes, dropped unread; raise maxResponseBytes (at most ITINERA_SEND_MAX_RESPONSE_BYTES) if the endpoint really answers that much`,
      );
    }
    if (ctx.signal?.aborted)
      throw new ItineraError('SEND_FAILED', `${where} aborted: the bus is shutting down; the step will be retried`, { transient: true, cause: err });
    if (timeout.aborted) {
      throw new ItineraError('SEND_FAILED', `${where} did not answer within ${o.timeoutMs ?? 5000} ms; raise timeoutMs if the endpoint is slow`, {
        transient: true,
        cause: err,
      });
    }
    const e = err as { code?: string; message?: string };
    const why = e.code ?? e.message;
    throw new ItineraError('SEND_FAILED', `${where} failed: ${why}; check that the endpoint is up and reachable`, { transient: true, cause: err });
  }
  const text = res.text;

  if (res.status < 200 || res.status > 299) {
    const transient = res.status >= 500 || res.status === 429;
    const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
    const redirect =
      res.status >= 300 && res.status < 400
        ? ` (redirect to ${redactAddress(header(res.headers, 'location') ?? '?')}; redirects are not followed, use the final address)`
        : '';
    const hint = transient ? 'the step will be retried' : 'check the endpoint config and the payload';
    const err = new ItineraError('SEND_FAILED', `${where} answered ${res.status}${redirect}${excerpt ? `: ${excerpt}` : ''}; ${hint}`, {
      transient,
      cause: { status: res.status, body: excerpt },
    }) as ItineraError & { retryAfterMs?: number };
    const retryAfter = parseRetryAfter(header(res.headers, 'retry-after') ?? null);
    if (retryAfter !== undefined) err.retryAfterMs = retryAfter;
    throw err;
  }

  const json = o.expectJson || /[/+]json\b/i.test(header(res.headers, 'content-type') ?? '');
  if (!json || text === '') return { status: res.status, body: text === '' ? undefined : text };
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch (err) {
    if (!o.expectJson) return { status: res.status, body: text };
    throw new ItineraError('SEND_FAILED', `${where} answered ${res.status} but the answer is not JSON; set expectJson=false to keep it as text`, {
      cause: err,
    });
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

class AnswerTooLarge extends Error {}

/** Kept-alive connections, as fetch had; a pooled socket was checked by the guard when it connected. */
const agents = new Map<string, HttpAgent>();

/** A kept-alive agent per scheme and guard policy: a socket checked under one policy is never reused under a stricter one. */
function agentFor(secure: boolean, policyKey: string): HttpAgent {
  const key = `${secure ? 'https' : 'http'} ${policyKey}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    agents.set(key, agent);
  }
  return agent;
}

/** One request over node:http(s), with the guard's lookup; the answer is counted as it streams and cut past `limit`. */
function exchange(
  target: CheckedTarget,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  limit: number,
): Promise<Answer> {
  const { url, lookup } = target;
  const secure = url.protocol === 'https:';
  return new Promise<Answer>((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: agentFor(secure, target.policyKey),
      lookup,
      signal,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const tooLarge = () => {
        res.destroy();
        req.destroy();
        reject(new AnswerTooLarge());
      };
      if (Number(res.headers['content-length']) > limit) return tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) return tooLarge();
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('connection closed before the whole answer arrived'), { code: 'ECONNRESET' }));
      });
    });
    req.end(body);
  });
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function encodeBody(body: unknown, contentType: string): string {
  if (/[/+]json\b/i.test(contentType)) return JSON.stringify(body ?? null);
  return typeof body === 'string' ? body : JSON.stringify(body ?? null);
}

/** Retry-After as delay seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
