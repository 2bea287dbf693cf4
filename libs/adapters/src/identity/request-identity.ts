import type { IncomingHttpHeaders } from 'node:http';
import { ANONYMOUS, ItineraError, type MessageRecord, type Principal, type SessionInfo, type SessionStore } from '@itinera/core';
import type { Authenticator, Credentials } from './authenticator';

/** Request headers that carry credentials (ours, a proxy's, cookies): never copied into the envelope's headers. */
export const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'itinera-session-token', 'cookie'] as const;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v) || undefined;

export function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const m = headers.authorization ? BEARER.exec(headers.authorization) : null;
  return m ? m[1] : undefined;
}

/**
 * What an HTTP request presents. The session token goes in `Itinera-Session-Token`
 * (then `Authorization` carries the client's JWT); without that header, a request
 * naming a session (`Itinera-Session`, or a session route) carries the session token
 * in `Authorization: Bearer`, the older form, and its credential only as `X-Api-Key`.
 */
export function httpCredentials(headers: IncomingHttpHeaders, withSession: boolean): { credentials: Credentials; sessionToken?: string } {
  const apiKey = one(headers['x-api-key']);
  const explicit = one(headers['itinera-session-token']);
  const bearer = bearerOf(headers);
  const credentials: Credentials = {};
  if (apiKey !== undefined) credentials.apiKey = apiKey;
  if (!withSession) {
    if (bearer !== undefined) credentials.bearer = bearer;
    return { credentials };
  }
  if (explicit !== undefined) {
    if (bearer !== undefined) credentials.bearer = bearer;
    return { credentials, sessionToken: explicit };
  }
  return { credentials, ...(bearer !== undefined ? { sessionToken: bearer } : {}) };
}

const presented = (c: Credentials): boolean => c.apiKey !== undefined || c.bearer !== undefined || c.credential !== undefined;

/**
 * The principal acting in a session. The session token stands for the principal that
 * opened the session (like a session cookie): a request with the token only acts as
 * it, as long as its API key is not revoked and its JWT has not expired. A credential presented as well must be
 * that same principal: another principal cannot use or take over the session (403).
 */
export function sessionPrincipal(auth: Authenticator, info: SessionInfo, caller: Principal | undefined): Principal {
  const owner = info.principal;
  if (caller) {
    if (owner && owner.kind !== 'anonymous' && owner.id !== caller.id) {
      throw new ItineraError('FORBIDDEN', `session ${info.id} belongs to another principal; open your own session with your credential`);
    }
    return caller;
  }
  if (owner && owner.kind !== 'anonymous') {
    if (!auth.stillValid(owner))
      throw new ItineraError(
        'UNAUTHORIZED',
        `the credential that opened session ${info.id} has expired or was revoked; present a fresh credential with the session token, or open a new session`,
      );
    return owner;
  }
  if (auth.required)
    throw new ItineraError(
      'UNAUTHORIZED',
      'this bus requires a credential: give X-Api-Key or a JWT (Authorization: Bearer, session token in Itinera-Session-Token)',
    );
  return ANONYMOUS;
}

/** The caller of a session request: its credential (if any) checked against the session's owner. */
export async function authenticateSessionCaller(auth: Authenticator, info: SessionInfo, credentials: Credentials): Promise<Principal> {
  return sessionPrincipal(auth, info, presented(credentials) ? await auth.authenticate(credentials) : undefined);
}

/**
 * Authenticate an HTTP request that may name a duplex session (`Itinera-Session`):
 * the principal, and the session when one was named and its token matched.
 */
export async function authenticateHttp(
  auth: Authenticator,
  sessions: SessionStore,
  headers: IncomingHttpHeaders,
): Promise<{ principal: Principal; session?: SessionInfo }> {
  const sessionId = one(headers['itinera-session']);
  const { credentials, sessionToken } = httpCredentials(headers, sessionId !== undefined);
  // A credential is checked first: an unauthenticated caller learns nothing about sessions.
  const caller = presented(credentials) || !sessionId ? await auth.authenticate(credentials) : undefined;
  if (!sessionId) return { principal: caller! };
  const session = await sessions.authenticate(sessionId, sessionToken);
  return { principal: sessionPrincipal(auth, session, caller), session };
}

/**
 * Who may read a message record: operators, the session it came from, and the
 * principal that sent it. Everyone else is told it does not exist (404, no
 * existence leak). With auth off everyone is the anonymous principal: a record
 * from a session is then readable only through that session (Itinera-Session and
 * its token), so one chat member cannot read another's; an anonymous record
 * without a session stays readable by id, as before identities.
 */
export function mayReadRecord(auth: Authenticator, record: MessageRecord, principal: Principal, session: SessionInfo | undefined): boolean {
  if (auth.isOperator(principal)) return true;
  if (session && record.session === session.id) return true;
  const owner = record.principal ?? ANONYMOUS.id;
  if (owner === ANONYMOUS.id && record.session) return false;
  return owner === principal.id;
}
