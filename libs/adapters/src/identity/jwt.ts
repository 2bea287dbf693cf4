import { createHash } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors,
  importJWK,
  importSPKI,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyObject,
} from 'jose';
import { ItineraError, type Principal } from '@itinera/core';
import { permission } from './api-keys';

export interface JwtOptions {
  /** JWKS endpoint of the identity provider (keys fetched and cached by jose). */
  jwksUrl?: string;
  /** One public key instead: SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or a JWK as JSON. */
  publicKey?: string;
  /** Required `iss`. */
  issuer?: string;
  /** Required `aud` (one of). */
  audience?: string | string[];
  /** Leeway for `exp` and `nbf`, seconds. */
  clockToleranceSec?: number;
  /** Accepted `alg`s; asymmetric only, so a public key can never be used as an HMAC secret. */
  algorithms?: string[];
}

/** Asymmetric algorithms only: `none` and `HS*` are refused whatever the token says. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Verified tokens remembered (the oldest go first). */
const JWT_CACHE_SIZE = 10_000;

/** Three base64url parts: what a compact JWS looks like (an API key never does). */
export const looksLikeJwt = (s: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(s);

const unauthorized = (why: string) => new ItineraError('UNAUTHORIZED', `the JWT ${why}`);

/**
 * Verifies bearer JWTs with jose against a JWKS URL or one public key: signature,
 * `alg` in the allowed set, issuer, audience, `exp` (required) and `nbf` with clock
 * tolerance. The principal is `jwt:<iss>|<sub>`; `scope` (space-separated) gives
 * `scope:x` and a `roles` claim gives `role:x`.
 */
export class JwtVerifier {
  private readonly key: JWTVerifyGetKey;
  private readonly algorithms: string[];
  /** Tokens verified lately: a client sends the same JWT with every request, and a signature check costs ~0.2 ms. */
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(private readonly opts: JwtOptions) {
    if (!opts.jwksUrl && !opts.publicKey) throw new ItineraError('CONFIG_INVALID', 'JWT verification needs ITINERA_JWT_JWKS_URL or ITINERA_JWT_PUBLIC_KEY');
    // A shared identity provider signs tokens for other apps too: without both checks those would pass here.
    if (!opts.issuer) throw new ItineraError('CONFIG_INVALID', 'ITINERA_JWT_ISSUER is required when JWTs are accepted: give the issuer (iss) of the tokens for this bus');
    if (!opts.audience || (Array.isArray(opts.audience) && opts.audience.length === 0))
      throw new ItineraError('CONFIG_INVALID', 'ITINERA_JWT_AUDIENCE is required when JWTs are accepted: give the audience (aud) the tokens for this bus name');
    this.algorithms = opts.algorithms?.length ? opts.algorithms.filter((a) => JWT_ALGORITHMS.includes(a)) : JWT_ALGORITHMS;
    if (opts.jwksUrl) {
      let url: URL;
      try {
        url = new URL(opts.jwksUrl);
      } catch {
        throw new ItineraError('CONFIG_INVALID', `ITINERA_JWT_JWKS_URL: "${opts.jwksUrl}" is not a URL`);
      }
      this.key = createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: 30_000 });
    } else {
      this.key = staticKey(opts.publicKey!);
    }
  }

  async verify(token: string): Promise<Principal> {
    const now = Date.now();
    // Keyed by a digest: the cache never holds a usable bearer token.
    const digest = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(digest);
    if (cached && cached.until > now) return cached.principal;
    if (cached) this.verified.delete(digest);
    return this.verifyAnew(token, digest);
  }

  private async verifyAnew(token: string, digest: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: this.algorithms,
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        clockTolerance: this.opts.clockToleranceSec ?? 30,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw mapJoseError(err);
    }
    const sub = payload.sub!;
    const permissions: string[] = [];
    const scope = payload.scope ?? payload.scp;
    for (const s of typeof scope === 'string' ? scope.split(' ') : Array.isArray(scope) ? scope : [])
      if (typeof s === 'string' && s) permissions.push(permission('scope', s));
    const roles = payload.roles;
    for (const r of typeof roles === 'string' ? roles.split(' ') : Array.isArray(roles) ? roles : [])
      if (typeof r === 'string' && r) permissions.push(permission('role', r));
    const principal = Object.freeze({
      id: `jwt:${payload.iss ?? ''}|${sub}`,
      kind: 'jwt',
      name: sub,
      permissions,
      expiresAt: payload.exp! * 1000,
    }) as Principal;
    // Kept until its expiry (within a minute, so a rotated JWKS key is seen soon); bounded in size.
    if (this.verified.size >= JWT_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(digest, { principal, until: Math.min(payload.exp! * 1000, Date.now() + 60_000) });
    return principal;
  }
}

/** A getter for one configured key, imported once per `alg` the token names. */
function staticKey(text: string): JWTVerifyGetKey {
  const trimmed = text.trim();
  let jwk: JWK | undefined;
  if (trimmed.startsWith('{')) {
    try {
      jwk = JSON.parse(trimmed) as JWK;
    } catch (err) {
      throw new ItineraError('CONFIG_INVALID', `ITINERA_JWT_PUBLIC_KEY: not valid JSON (${(err as Error).message}); give a JWK or an SPKI PEM`);
    }
    if (jwk.kty === 'oct' || 'd' in jwk) throw new ItineraError('CONFIG_INVALID', 'ITINERA_JWT_PUBLIC_KEY: give a public key (no "d", no "oct" secrets)');
  } else if (!/-----BEGIN PUBLIC KEY-----/.test(trimmed)) {
    throw new ItineraError('CONFIG_INVALID', 'ITINERA_JWT_PUBLIC_KEY: expected an SPKI PEM ("-----BEGIN PUBLIC KEY-----") or a JWK as JSON');
  }
  const pem = trimmed.replace(/\\n/g, '\n');
  const cache = new Map<string, Promise<CryptoKey | KeyObject | Uint8Array>>();
  return (header) => {
    const alg = header.alg ?? '';
    if (jwk?.alg && jwk.alg !== alg) throw unauthorized(`names alg ${alg}, but the configured key is for ${jwk.alg}`);
    let key = cache.get(alg);
    if (!key) {
      key = jwk ? importJWK(jwk, alg) : importSPKI(pem, alg);
      key.catch(() => cache.delete(alg));
      cache.set(alg, key);
    }
    return key as Promise<CryptoKey>;
  };
}

/** jose's errors as UNAUTHORIZED saying what to fix; an unreachable JWKS is AUTH_UNAVAILABLE (retry). */
export function mapJoseError(err: unknown): ItineraError {
  if (err instanceof ItineraError) return err;
  if (err instanceof errors.JWTExpired) return unauthorized('has expired; get a new token');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'iss') return unauthorized('issuer (iss) is not the one this bus trusts (ITINERA_JWT_ISSUER)');
    if (claim === 'aud') return unauthorized('audience (aud) does not name this bus (ITINERA_JWT_AUDIENCE)');
    if (claim === 'nbf') return unauthorized('is not valid yet (nbf)');
    return unauthorized(`claim "${claim}" is missing or invalid (${err.reason})`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized('is signed with an algorithm this bus does not accept (none and HS* never are)');
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized('signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized('is signed by a key the JWKS does not hold');
  if (err instanceof errors.JWKSTimeout || (err instanceof Error && /fetch|ECONNREFUSED|ENOTFOUND|Expected 200/i.test(err.message))) {
    return new ItineraError('AUTH_UNAVAILABLE', 'the identity provider keys (ITINERA_JWT_JWKS_URL) cannot be fetched; retry in a moment', {
      transient: true,
      cause: err,
    });
  }
  return unauthorized('is malformed or cannot be verified');
}
