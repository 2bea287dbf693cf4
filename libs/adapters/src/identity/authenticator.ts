import { timingSafeEqual } from 'node:crypto';
import { ANONYMOUS, ItineraError, OPERATOR_PERMISSION, type Principal } from '@itinera/core';
import { sha256, type ApiKeyStore } from './api-keys';
import { looksLikeJwt, type JwtVerifier } from './jwt';
import { ADMIN_OPERATOR_NAME, operatorTokenPrincipal, type OperatorToken } from './operator-tokens';

/** `none`: anonymous callers are let in (the embedded demo). `required`: every on-ramp needs a credential. */
export type AuthMode = 'none' | 'required';

export interface AuthenticatorOptions {
  mode: AuthMode;
  apiKeys?: ApiKeyStore;
  jwt?: JwtVerifier;
  /** ITINERA_ADMIN_TOKEN: a bearer that is an operator (kept from before identities existed). */
  adminToken?: string;
  /** ITINERA_OPERATOR_TOKENS: named bearer tokens of operators (hashed), so the audit trail names who acted. */
  operatorTokens?: OperatorToken[];
  /** Queue jobs without a credential get the `trusted` principal (the producers are inside the trust boundary). */
  queueTrusted?: boolean;
}

/** What a caller presented; the on-ramps fill in what their protocol carries. */
export interface Credentials {
  /** `X-Api-Key`. */
  apiKey?: string;
  /** `Authorization: Bearer …` when it is not the session token. */
  bearer?: string;
  /** `hello.credential` or a queue job's `credential`: an API key or a JWT. */
  credential?: string;
}

/** The principal of ITINERA_ADMIN_TOKEN: the operator named `admin`. */
export const ADMIN_TOKEN_PRINCIPAL: Principal = operatorTokenPrincipal(ADMIN_OPERATOR_NAME, 'trusted');

/** Principal of jobs on a queue on-ramp whose producers are trusted (ITINERA_QUEUE_TRUSTED). */
export function trustedQueuePrincipal(queue: string): Principal {
  return Object.freeze({ id: `queue:${queue}`, kind: 'trusted', name: queue, permissions: [] as string[] }) as Principal;
}

const PRINCIPAL_KINDS = new Set(['api-key', 'jwt', 'anonymous', 'trusted']);

/** A job's `principal` (set by the queue off-ramp), checked for shape. */
function jobPrincipal(p: unknown): Principal {
  const c = p as Partial<Principal>;
  const ok =
    typeof c === 'object' &&
    typeof c.id === 'string' &&
    typeof c.name === 'string' &&
    typeof c.kind === 'string' &&
    PRINCIPAL_KINDS.has(c.kind) &&
    Array.isArray(c.permissions) &&
    c.permissions.every((x) => typeof x === 'string');
  if (!ok) throw new ItineraError('UNAUTHORIZED', 'the job\'s "principal" must be { id, kind, name, permissions } as the queue off-ramp writes it');
  return Object.freeze({ id: c.id!, kind: c.kind!, name: c.name!, permissions: [...c.permissions!] }) as Principal;
}

const CHALLENGE = 'give an API key (X-Api-Key, or "credential" in hello and queue jobs) or a JWT (Authorization: Bearer)';

/**
 * The one place credentials become principals; every on-ramp calls it. With no
 * credential it answers the anonymous principal when auth is off and UNAUTHORIZED
 * when it is required. A credential that is presented is checked in either mode (a
 * wrong key is a client error, never silently anonymous) when a configured source can
 * check it; with auth off, one no source can check is ignored.
 */
export class Authenticator {
  /** The admin token (named `admin`) and the named operator tokens, as digests with their principals. */
  private readonly operators: { digest: Buffer; principal: Principal }[] = [];

  constructor(private readonly opts: AuthenticatorOptions) {
    if (opts.adminToken) this.operators.push({ digest: sha256(opts.adminToken), principal: ADMIN_TOKEN_PRINCIPAL });
    for (const t of opts.operatorTokens ?? []) this.operators.push({ digest: t.digest, principal: operatorTokenPrincipal(t.name) });
  }

  get mode(): AuthMode {
    return this.opts.mode;
  }

  get required(): boolean {
    return this.opts.mode === 'required';
  }

  async authenticate(credentials: Credentials): Promise<Principal> {
    const c = this.required ? credentials : this.checkable(credentials);
    const presented = c.apiKey ?? c.bearer ?? c.credential;
    if (presented === undefined || presented === '') {
      if (this.required) throw new ItineraError('UNAUTHORIZED', `this bus requires a credential: ${CHALLENGE}`);
      return ANONYMOUS;
    }
    if (c.apiKey !== undefined) return this.byApiKey(c.apiKey);
    if (c.bearer !== undefined) {
      const operator = this.operatorByToken(c.bearer);
      if (operator) return operator;
      return this.byJwt(c.bearer);
    }
    const credential = c.credential!;
    return looksLikeJwt(credential) && this.opts.jwt ? this.byJwt(credential) : this.byApiKey(credential);
  }

  /**
   * With auth off, what no configured source can check is not a credential for this bus
   * (an Authorization header meant for a proxy, a key sent before keys were set up): ignored.
   */
  private checkable(c: Credentials): Credentials {
    const { apiKeys, jwt } = this.opts;
    const out: Credentials = {};
    if (c.apiKey !== undefined && apiKeys) out.apiKey = c.apiKey;
    if (c.bearer !== undefined && (this.isAdminToken(c.bearer) || (jwt && looksLikeJwt(c.bearer)))) out.bearer = c.bearer;
    if (c.credential !== undefined && (apiKeys || (jwt && looksLikeJwt(c.credential)))) out.credential = c.credential;
    return out;
  }

  /**
   * A queue job: its `credential`; else, when the queue's producers are trusted, the
   * `principal` the job carries (a hop from another itinerary keeps its sender, so the
   * access check applies to the sender) or the trusted principal; else none (anonymous
   * with auth off, UNAUTHORIZED when required). An untrusted producer's `principal` is ignored.
   */
  async authenticateJob(queue: string, credential: unknown, claimed?: unknown): Promise<Principal> {
    if (typeof credential === 'string' && credential) return this.authenticate({ credential });
    if (credential !== undefined && credential !== null)
      throw new ItineraError('UNAUTHORIZED', 'the job\'s "credential" must be a string (an API key or a JWT)');
    if (this.opts.queueTrusted) return claimed === undefined || claimed === null ? trustedQueuePrincipal(queue) : jobPrincipal(claimed);
    return this.authenticate({});
  }

  /** Holders of role:operator, and the admin token. */
  isOperator(p: Principal | undefined): boolean {
    return !!p && p.permissions.includes(OPERATOR_PERMISSION);
  }

  /**
   * Whether operator endpoints are open to everyone: only with auth off and no
   * ITINERA_ADMIN_TOKEN (the laptop). Otherwise they need an operator.
   */
  get operatorEndpointsOpen(): boolean {
    return !this.required && this.operators.length === 0;
  }

  /**
   * A principal kept in a session (or by a WebSocket since its hello) is still good: its
   * credential has not expired (a JWT's `exp`) and its API key was not revoked since.
   */
  stillValid(p: Principal): boolean {
    if (p.expiresAt !== undefined && p.expiresAt <= Date.now()) return false;
    if (p.kind === 'api-key' && this.opts.apiKeys) return this.opts.apiKeys.has(p.name);
    return true;
  }

  /** Whether `token` is the admin token or a named operator token. */
  isAdminToken(token: string): boolean {
    return this.operatorByToken(token) !== undefined;
  }

  /**
   * The operator whose token this is. Every digest is compared (constant time, no early
   * exit), so the time taken says nothing about which token, or how much of one, matched.
   */
  operatorByToken(token: string): Principal | undefined {
    if (this.operators.length === 0) return undefined;
    const digest = sha256(token);
    let found: Principal | undefined;
    for (const o of this.operators) if (timingSafeEqual(digest, o.digest) && !found) found = o.principal;
    return found;
  }

  private byApiKey(key: string): Principal {
    const p = this.opts.apiKeys?.lookup(key);
    if (!p)
      throw new ItineraError(
        'UNAUTHORIZED',
        this.opts.apiKeys ? 'the API key is unknown or revoked' : 'API keys are not configured on this bus (ITINERA_API_KEYS_FILE)',
      );
    return p;
  }

  private async byJwt(token: string): Promise<Principal> {
    if (!this.opts.jwt) throw new ItineraError('UNAUTHORIZED', 'JWTs are not accepted by this bus (no ITINERA_JWT_JWKS_URL or ITINERA_JWT_PUBLIC_KEY)');
    if (!looksLikeJwt(token)) throw new ItineraError('UNAUTHORIZED', 'the bearer token is not a JWT');
    return this.opts.jwt.verify(token);
  }

  close(): void {
    this.opts.apiKeys?.close();
  }
}

/** Auth off, no keys: everyone is anonymous (tests and embedding without settings). */
export const OPEN_AUTHENTICATOR = new Authenticator({ mode: 'none' });
