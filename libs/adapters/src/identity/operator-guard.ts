import type { FastifyRequest } from 'fastify';
import { ANONYMOUS, ItineraError, OPERATOR_PERMISSION, type Principal } from '@itinera/core';
import type { Authenticator } from './authenticator';
import { httpCredentials } from './request-identity';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator an operator route let in (operatorGuard): audit entries name it. */
    operator?: Principal;
  }
}

/** How the audit trail names an operator: the token's name, the API key's name, the JWT's subject. */
export const operatorName = (p: Principal | undefined): string => p?.name ?? ANONYMOUS.name;

/**
 * A preHandler for operator endpoints (faults, itinerary definitions, metrics when
 * guarded): the caller must hold `role:operator` or present ITINERA_ADMIN_TOKEN or a
 * named operator token (ITINERA_OPERATOR_TOKENS) as a bearer. Open only on a laptop:
 * auth off and no operator token. The operator let in is put on the request.
 */
export function operatorGuard(auth: Authenticator, what: string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const { credentials } = httpCredentials(req.headers, false);
    // An operator token opens these routes whatever else the request carries (the CLI sends its API key too).
    const byToken = credentials.bearer !== undefined ? auth.operatorByToken(credentials.bearer) : undefined;
    if (byToken) {
      req.operator = byToken;
      return;
    }
    if (auth.operatorEndpointsOpen) {
      // Open routes still name a caller who says who it is (an API key, a JWT); anyone else is anonymous.
      req.operator = await auth.authenticate(credentials).catch(() => ANONYMOUS);
      return;
    }
    if (credentials.apiKey === undefined && credentials.bearer === undefined) {
      throw new ItineraError(
        'UNAUTHORIZED',
        `${what} need an operator: an API key or JWT with ${OPERATOR_PERMISSION}, or Authorization: Bearer <ITINERA_ADMIN_TOKEN or a token of ITINERA_OPERATOR_TOKENS>`,
      );
    }
    const principal = await auth.authenticate(credentials);
    // With auth off, a bearer that is not the admin token (nor a JWT this bus checks) is no credential.
    if (principal.kind === 'anonymous')
      throw new ItineraError('UNAUTHORIZED', `${what} need Authorization: Bearer <ITINERA_ADMIN_TOKEN> or an operator credential; that one is not recognised`);
    if (!auth.isOperator(principal)) throw new ItineraError('FORBIDDEN', `${what} need ${OPERATOR_PERMISSION}; ${principal.id} does not have it`);
    req.operator = principal;
  };
}
