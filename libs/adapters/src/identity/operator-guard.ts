import type { FastifyRequest } from 'fastify';
import { ItineraError, OPERATOR_PERMISSION } from '@itinera/core';
import type { Authenticator } from './authenticator';
import { httpCredentials } from './request-identity';

/**
 * A preHandler for operator endpoints (faults, itinerary definitions, metrics when
 * guarded): the caller must hold `role:operator` or present ITINERA_ADMIN_TOKEN as
 * a bearer. Open only on a laptop: auth off and no admin token.
 */
export function operatorGuard(auth: Authenticator, what: string): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    if (auth.operatorEndpointsOpen) return;
    const { credentials } = httpCredentials(req.headers, false);
    // The admin token opens these routes whatever else the request carries (the CLI sends its API key too).
    if (credentials.bearer !== undefined && auth.isAdminToken(credentials.bearer)) return;
    if (credentials.apiKey === undefined && credentials.bearer === undefined) {
      throw new ItineraError(
        'UNAUTHORIZED',
        `${what} need an operator: an API key or JWT with ${OPERATOR_PERMISSION}, or Authorization: Bearer <ITINERA_ADMIN_TOKEN>`,
      );
    }
    const principal = await auth.authenticate(credentials);
    // With auth off, a bearer that is not the admin token (nor a JWT this bus checks) is no credential.
    if (principal.kind === 'anonymous')
      throw new ItineraError('UNAUTHORIZED', `${what} need Authorization: Bearer <ITINERA_ADMIN_TOKEN> or an operator credential; that one is not recognised`);
    if (!auth.isOperator(principal)) throw new ItineraError('FORBIDDEN', `${what} need ${OPERATOR_PERMISSION}; ${principal.id} does not have it`);
  };
}
