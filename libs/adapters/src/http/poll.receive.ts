import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ItineraError, toItineraError, type OutboxFrame, type Principal, type SessionInfo } from '@itinera/core';
import type { Caller } from '../limits/on-ramp-limits';
import { checkSendFields, type ClosingReason } from '../duplex/duplex-frames';
import { duplexOptions } from '../duplex/duplex-options';
import { registryFor, type DuplexEndpoint } from '../duplex/duplex-registry';
import { acceptDuplexSend, type DuplexSend } from '../duplex/duplex-send';
import type { DuplexCloseOptions } from '../duplex/duplex-connections';
import type { DuplexDeps } from '../duplex/duplex-deps';
import { fromFastifyError, sendProblem } from './problem';
import { useSharedSchemas } from './route.schemas';
import { CREATE_SESSION_SCHEMA, DELETE_SESSION_SCHEMA, GET_SESSION_SCHEMA, POLL_SCHEMA, SEND_SCHEMA } from './poll.schemas';
import { OPEN_AUTHENTICATOR } from '../identity/authenticator';
import { authenticateSessionCaller, httpCredentials } from '../identity/request-identity';
import type { DualHttpSessions } from '../dual-http/dual-http.on-ramp';

/** The answer to `GET /duplex/sessions/{S}/poll`. */
export interface PollAnswer {
  items: OutboxFrame[];
  /** More frames are pending than this answer holds: poll again at once. */
  more: boolean;
  /** Set when the server stops serving this session here: reconnect after `retryAfterMs` (shutdown), or not at all. */
  closing?: { reason: ClosingReason; retryAfterMs?: number };
}

export interface PollingDuplex {
  /** Answer held polls with `closing` `shutdown`, refuse new sessions and sends (503), wait for sends in flight. */
  close(opts: DuplexCloseOptions): Promise<void>;
  /** Long polls being held now. */
  heldPolls(): number;
}

type SessionRequest = FastifyRequest<{ Params: { session: string }; Querystring: { after?: string } }>;

/** The caller as the limits count it: the request's principal (set by authentication) and its address. */
function callerOf(req: FastifyRequest): Caller {
  const principal = (req as { principal?: Principal }).principal;
  return { address: req.ip, ...(principal ? { principal } : {}) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The polling-duplex binding: duplex sessions over plain HTTP.
 *
 * - `POST /duplex/sessions` → 201 `{ session, token, pollTimeoutMs, inactivityTimeoutMs, maxFrameBytes }`
 * - `POST /duplex/sessions/{S}/messages` → 202 with the `accepted` frame (also when it
 *   carries a `reply`), or problem+json with the error code and the message `id`
 * - `GET /duplex/sessions/{S}/poll?after=N` → acknowledges up to N, then `{ items, more }`
 *   at once when frames above N are pending, else held until one is (or `{ items: [] }`
 *   after pollTimeoutMs). A newer poll of the same session answers the held one with
 *   empty items; a WebSocket resuming the session answers it with `closing` `replaced`.
 *   Without `after`, the session's acknowledged seq is used.
 * - `GET /duplex/sessions/{S}` → 200 `{ session, lastSeq, ackedSeq, pollTimeoutMs, … }`
 *   (resume check; an extension of the contract)
 * - `DELETE /duplex/sessions/{S}` → 204
 *
 * Session requests need `Authorization: Bearer <token>` (401 UNAUTHORIZED); an unknown or
 * expired session is 404 SESSION_NOT_FOUND. Routes live in their own Fastify context
 * (own error handler and JSON parser), registered when the instance boots.
 */
export function registerPollingDuplex(
  fastify: FastifyInstance,
  deps: DuplexDeps & { dualHttp?: DualHttpSessions; allowedOrigins?: readonly string[] },
): PollingDuplex {
  const options = duplexOptions(deps.options);
  const { sessions } = deps;
  const logger = deps.logger.child({ component: 'duplex-poll' });
  const registry = registryFor(sessions);
  const held = new Set<DuplexEndpoint>();
  const authed = new WeakMap<FastifyRequest, SessionInfo>();
  const auth = deps.auth ?? OPEN_AUTHENTICATOR;
  let closing: DuplexCloseOptions | undefined;

  const refuseWhenClosing = (reply: FastifyReply, instance: string): FastifyReply | undefined => {
    if (!closing) return undefined;
    const retryAfterMs = closing.retryAfterMs ?? 1000;
    return sendProblem(reply, new ItineraError('SHUTTING_DOWN', `This node is shutting down; retry in ${retryAfterMs} ms.`), instance, { retryAfterMs });
  };

  const batch = async (session: string, after: number): Promise<PollAnswer> => {
    const frames = await sessions.pending(session, after, options.pollBatch + 1);
    return { items: frames.slice(0, options.pollBatch), more: frames.length > options.pollBatch };
  };

  const hold = (req: SessionRequest, reply: FastifyReply, session: string, after: number): Promise<PollAnswer> =>
    new Promise<PollAnswer>((resolve) => {
      let done = false;
      let checking = false;
      let again = false;
      const finish = (answer: PollAnswer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        registry.release(session, ep);
        held.delete(ep);
        reply.raw.off('close', gone);
        resolve(answer);
      };
      const ep: DuplexEndpoint = {
        transport: 'poll',
        end: (reason, retryAfterMs) =>
          finish(
            reason === 'superseded'
              ? { items: [], more: false }
              : { items: [], more: false, closing: retryAfterMs === undefined ? { reason } : { reason, retryAfterMs } },
          ),
      };
      const check = async (): Promise<void> => {
        if (done) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const answer = await batch(session, after);
            if (answer.items.length > 0) return finish(answer);
          } while (again && !done);
        } catch (error) {
          const err = toItineraError(error);
          if (err.code === 'SESSION_NOT_FOUND') return finish({ items: [], more: false, closing: { reason: 'expired' } });
          logger.warn({ session, err: error }, 'long poll could not read the outbox');
          finish({ items: [], more: false });
        } finally {
          checking = false;
        }
      };
      // Client gone before the answer: stop holding (nothing is lost, frames stay pending).
      const gone = (): void => finish({ items: [], more: false });
      registry.claim(session, ep);
      held.add(ep);
      // A wake-up carrying exactly the next frame answers the held poll without reading the outbox.
      const unsubscribe = sessions.subscribe(session, (frame) => {
        if (frame && frame.seq === after + 1 && !checking && !done) finish({ items: [frame], more: false });
        else void check();
      });
      const timer = setTimeout(() => finish({ items: [], more: false }), options.pollTimeoutMs);
      reply.raw.on('close', gone);
      void check();
    });

  fastify.register(async (app) => {
    // JSON only (anything else is 415); empty bodies are fine (POST /duplex/sessions, DELETE); bad JSON is INVALID_JSON.
    app.removeAllContentTypeParsers();
    useSharedSchemas(app);
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: options.maxFrameBytes }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(new ItineraError('INVALID_JSON', `The body is not valid JSON (${(err as Error).message}); send a JSON object.`), undefined);
      }
    });

    app.setErrorHandler((error, req, reply) => {
      const err = fromFastifyError(error);
      if (err.status >= 500) logger.error({ err: error, url: req.url }, 'duplex long-polling request failed');
      return sendProblem(reply, err, req.url.split('?')[0]);
    });

    // Authenticate before the body is read: an unauthorised client cannot make us parse anything.
    app.addHook('onRequest', async (req) => {
      // The WebSocket upgrade's origin rule: a body-less POST is a CORS "simple request" that
      // reaches the server whatever the page, so a listed origin list must refuse it here too.
      const origin = req.headers.origin;
      const allowed = deps.allowedOrigins ?? [];
      if (origin && allowed.length && !allowed.includes(origin) && !allowed.includes('*'))
        throw new ItineraError('FORBIDDEN', `Origin ${origin} may not use the long-polling duplex; allow it in ITINERA_ALLOWED_ORIGINS.`);
      const session = (req.params as { session?: string }).session;
      const { credentials, sessionToken } = httpCredentials(req.headers, session !== undefined);
      const r = req as { principal?: Principal };
      // POST /duplex/sessions: the credential opens the session, which then belongs to its principal.
      if (session === undefined) return void (r.principal = await auth.authenticate(credentials));
      const info = await sessions.authenticate(session, sessionToken);
      authed.set(req, info);
      r.principal = await authenticateSessionCaller(auth, info, credentials);
    });

    app.addHook('preClose', async () => {
      if (!closing) await handle.close({ reason: 'shutdown' });
    });

    app.post('/duplex/sessions', CREATE_SESSION_SCHEMA, async (req, reply) => {
      const refused = refuseWhenClosing(reply, req.url);
      if (refused) return refused;
      const limits = deps.limits;
      const principal = (req as { principal?: Principal }).principal;
      const owner = principal && principal.kind !== 'anonymous' ? { principal } : {};
      // A body with callbackUrl asks for dual HTTP: the address is checked before any session exists.
      const dual = await deps.dualHttp?.prepare(req.body);
      const { id, token } = await (limits ? limits.createSession(callerOf(req), () => sessions.create(owner)) : sessions.create(owner));
      const extra = dual ? await dual(id) : {};
      if (!dual) logger.debug({ session: id }, 'duplex session on long polling');
      return reply
        .code(201)
        .header('location', `/duplex/sessions/${encodeURIComponent(id)}`)
        .header('cache-control', 'no-store')
        .send({ session: id, token, pollTimeoutMs: options.pollTimeoutMs, inactivityTimeoutMs: options.sessionTtlMs, maxFrameBytes: options.maxFrameBytes, ...extra });
    });

    app.post('/duplex/sessions/:session/messages', { ...SEND_SCHEMA, bodyLimit: options.maxFrameBytes }, async (req: SessionRequest, reply) => {
      const session = authed.get(req)!.id;
      const instance = req.url.split('?')[0];
      const refused = refuseWhenClosing(reply, instance);
      if (refused) return refused;
      const body = req.body;
      if (!isObject(body)) {
        throw new ItineraError('BAD_REQUEST', 'Send a JSON object { id, itinerary, version?, action, body }.', {
          details: [{ pointer: '', message: 'must be an object' }],
        });
      }
      const errors = checkSendFields(body);
      if (errors.length > 0) {
        return sendProblem(
          reply,
          new ItineraError('BAD_REQUEST', 'Malformed message; see errors.', { details: errors }),
          instance,
          isObject(body) && typeof body.id === 'string' ? { id: body.id } : undefined,
        );
      }
      // No touch here: authenticating this request (the onRequest hook) recorded the activity.
      try {
        await deps.limits?.message(callerOf(req));
        const accepted = await acceptDuplexSend(
          { gateway: deps.gateway, registry, logger, maxInFlight: options.maxInFlight },
          session,
          'poll',
          body as unknown as DuplexSend,
          (req as { principal?: Principal }).principal,
        );
        return reply.code(202).header('itinera-message-id', accepted.messageId).header('itinera-correlation-id', accepted.correlationId).send(accepted);
      } catch (error) {
        return sendProblem(reply, error, instance, { id: body.id });
      }
    });

    // Resume check (the long-polling counterpart of hello with a session): 200 with where the session stands.
    app.get('/duplex/sessions/:session', GET_SESSION_SCHEMA, async (req: SessionRequest, reply) => {
      const info = authed.get(req)!;
      reply.header('cache-control', 'no-store');
      return {
        session: info.id,
        lastSeq: info.lastSeq,
        ackedSeq: info.ackedSeq,
        pollTimeoutMs: options.pollTimeoutMs,
        inactivityTimeoutMs: options.sessionTtlMs,
        maxFrameBytes: options.maxFrameBytes,
      };
    });

    app.get('/duplex/sessions/:session/poll', POLL_SCHEMA, async (req: SessionRequest, reply) => {
      const info = authed.get(req)!;
      let after = info.ackedSeq;
      if (req.query.after !== undefined) {
        after = Number(req.query.after);
        if (!Number.isSafeInteger(after) || after < 0) {
          throw new ItineraError('BAD_REQUEST', 'after must be a non-negative integer: the highest seq you have handled.', {
            details: [{ pointer: '/after', message: 'must be a non-negative integer' }],
          });
        }
        // A seq the session never sent cannot have been handled: acking up to it would drop
        // the next frames unseen (each poll would ack them before answering).
        if (after > info.lastSeq) {
          throw new ItineraError(
            'BAD_REQUEST',
            `after=${after} is beyond the last seq this session sent (${info.lastSeq}); poll with the highest seq you have handled.`,
            {
              details: [{ pointer: '/after', message: `must be at most ${info.lastSeq}` }],
            },
          );
        }
      }
      // No touch: authenticating this request (the onRequest hook) recorded the activity.
      if (after > info.ackedSeq) await sessions.ack(info.id, Math.min(after, info.lastSeq));
      reply.header('cache-control', 'no-store');
      if (closing) {
        const answer = await batch(info.id, after);
        registry.noteDelivered(info.id, 'poll', answer.items);
        return { ...answer, closing: { reason: 'shutdown', ...(closing.retryAfterMs !== undefined ? { retryAfterMs: closing.retryAfterMs } : {}) } };
      }
      // The client already gave up (aborted while we read the store): nothing to hold for.
      if (req.raw.socket?.destroyed) return { items: [], more: false };
      const answer = await hold(req, reply, info.id, after);
      registry.noteDelivered(info.id, 'poll', answer.items);
      return answer;
    });

    app.delete('/duplex/sessions/:session', DELETE_SESSION_SCHEMA, async (req: SessionRequest, reply) => {
      const session = authed.get(req)!.id;
      registry.end(session, 'ended');
      await sessions.end(session);
      logger.debug({ session }, 'duplex session ended (DELETE)');
      return reply.code(204).send();
    });
  });

  let closed: Promise<void> | undefined;
  const handle: PollingDuplex = {
    close(opts) {
      if (closed) return closed;
      closing = opts;
      for (const ep of [...held]) ep.end('shutdown', opts.retryAfterMs);
      closed = registry.settled(opts.graceMs ?? 5000);
      return closed;
    },
    heldPolls: () => held.size,
  };
  return handle;
}
