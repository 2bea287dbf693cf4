import type { FastifyInstance } from 'fastify';
import { ItineraError, redactSecrets, redactText, type FaultRecord, type FaultStore } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { useSharedSchemas } from './route.schemas';
import { DELETE_FAULT_SCHEMA, GET_FAULT_SCHEMA, RESUBMIT_FAULT_SCHEMA, listFaultsSchema } from './faults.schemas';

/** What `POST /faults/{id}/resubmit` may change (checked again by the resubmitter). */
export interface FaultRepairInput {
  body?: unknown;
  context?: Record<string, unknown>;
  fromStep?: string;
}

export interface FaultRoutesDeps {
  faults: FaultStore;
  /** Re-run the fault's message (the bus's `resubmit`). */
  resubmit(faultId: string, repair?: FaultRepairInput): Promise<{ messageId: string; correlationId: string; itinerary: string }>;
  /** Who is calling: the routes need an operator (role:operator or the admin token) as `operatorGuard` says. */
  auth: Authenticator;
}

/** A fault in a list: everything but the envelope. */
export type FaultSummary = Omit<FaultRecord, 'envelope'>;

export const FAULT_LIST_DEFAULT = 100;
export const FAULT_LIST_MAX = 1000;

export function summarizeFault(f: FaultRecord): FaultSummary {
  return {
    id: f.id,
    messageId: f.messageId,
    correlationId: f.correlationId,
    itinerary: f.itinerary,
    ...(f.step !== undefined ? { step: f.step } : {}),
    attempts: f.attempts,
    error: { ...f.error, message: redactText(f.error.message) },
    at: f.at,
  };
}

function parseLimit(raw: string | number | undefined): number {
  if (raw === undefined || raw === '') return FAULT_LIST_DEFAULT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > FAULT_LIST_MAX) {
    throw new ItineraError('BAD_REQUEST', `limit must be an integer from 1 to ${FAULT_LIST_MAX}; got "${raw}"`, {
      details: [{ pointer: '/limit', message: `must be 1..${FAULT_LIST_MAX}` }],
    });
  }
  return n;
}

async function required(faults: FaultStore, id: string): Promise<FaultRecord> {
  const fault = await faults.get(id);
  if (!fault) throw new ItineraError('FAULT_NOT_FOUND', `no fault ${id}: unknown, already resubmitted or deleted, or expired; list them with GET /faults`);
  return fault;
}

/**
 * The operator's fault endpoints: list, inspect, repair and resubmit, delete.
 * Register them inside the HTTP on-ramp's encapsulated plugin, whose error
 * handler answers problem+json for everything thrown here.
 */
export function registerFaultRoutes(app: FastifyInstance, deps: FaultRoutesDeps): void {
  // A preValidation hook: the operator check comes before schema validation, so an outsider learns nothing of the input rules.
  const guard = operatorGuard(deps.auth, 'the fault endpoints');
  useSharedSchemas(app);

  app.get<{ Querystring: { limit?: number } }>('/faults', { ...listFaultsSchema(FAULT_LIST_DEFAULT, FAULT_LIST_MAX), preValidation: guard }, async (req) => {
    const faults = await deps.faults.list(parseLimit(req.query.limit));
    return { faults: faults.map(summarizeFault) };
  });

  app.get<{ Params: { id: string } }>('/faults/:id', { ...GET_FAULT_SCHEMA, preValidation: guard }, async (req) =>
    // Shown masked (credentials, secret parameters and fields); a resubmit still runs the stored envelope.
    redactSecrets(await required(deps.faults, req.params.id)),
  );

  app.post<{ Params: { id: string } }>('/faults/:id/resubmit', { ...RESUBMIT_FAULT_SCHEMA, preValidation: guard }, async (req, reply) => {
    // The body is optional: no body (or `{}`) resubmits the message unchanged.
    const body = req.body as unknown;
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new ItineraError('VALIDATION_FAILED', 'the repair must be a JSON object { body?, context?, fromStep? }', {
        details: [{ pointer: '', message: 'must be an object' }],
      });
    }
    const r = await deps.resubmit(req.params.id, (body ?? undefined) as FaultRepairInput | undefined);
    return reply
      .code(202)
      .header('Itinera-Message-Id', r.messageId)
      .header('Itinera-Correlation-Id', r.correlationId)
      .header('Location', `/messages/${r.messageId}`)
      .send({ messageId: r.messageId, correlationId: r.correlationId, itinerary: r.itinerary, status: 'accepted' });
  });

  app.delete<{ Params: { id: string } }>('/faults/:id', { ...DELETE_FAULT_SCHEMA, preValidation: guard }, async (req, reply) => {
    await required(deps.faults, req.params.id);
    await deps.faults.remove(req.params.id);
    return reply.code(204).send();
  });
}
