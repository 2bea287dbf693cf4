import type { FastifyInstance } from 'fastify';
import type { AuditStore } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { LIST_AUDIT_SCHEMA } from './audit.schemas';
import { parsePageLimit, textParam } from './operator-query';

export interface AuditRouteDeps {
  audit: AuditStore;
  auth: Authenticator;
}

/** `GET /audit`: the operators' audit trail, a page at a time. */
export function registerAuditRoute(app: FastifyInstance, deps: AuditRouteDeps): void {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/audit',
    { ...LIST_AUDIT_SCHEMA, preValidation: operatorGuard(deps.auth, 'the audit trail') },
    async (req) => {
      const cursor = textParam(req.query.cursor);
      return deps.audit.list({ limit: parsePageLimit(req.query.limit), ...(cursor ? { cursor } : {}) });
    },
  );
}
