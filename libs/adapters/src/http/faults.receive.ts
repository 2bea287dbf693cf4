import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ItineraError, redactSecrets, redactText, type AuditStore, type FaultRecord, type FaultStore, type Logger, type Page } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard, operatorName } from '../identity/operator-guard';
import { useSharedSchemas } from './route.schemas';
import { DELETE_FAULT_SCHEMA, GET_FAULT_SCHEMA, RESUBMIT_FAULT_SCHEMA, listFaultsSchema } from './faults.schemas';
import { registerFaultBulkRoutes } from './fault-bulk.receive';
import { textParam } from './operator-query';

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
  /** Where resubmissions and deletions are recorded with the operator who made them; none: not recorded. */
  audit?: AuditStore;
  /** Where a failed audit write is reported (the action itself stands). */
  logger?: Logger;
}

interface ListParams {
  limit?: number;
  itinerary?: string;
  step?: string;
  code?: string;
  cursor?: string;
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

/**
 * Record an operator action. The action has happened: a failed audit write is logged
 * as an error, never turned into a failure of the action (which a retry would repeat).
 */
export async function audited(deps: FaultRoutesDeps, req: FastifyRequest, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
  if (!deps.audit) return;
  try {
    await deps.audit.record({ at: new Date().toISOString(), operator: operatorName(req.operator), action, target, detail });
  } catch (err) {
    (deps.logger ?? req.log).error({ err, action, target }, 'audit entry not recorded');
  }
}

/** What a resubmission changed, for the audit entry: `fault.resubmit`, or `fault.edit-resubmit` with the fields given. */
export function resubmitAction(repair: FaultRepairInput | undefined): { action: string; edited: string[] } {
  const edited = repair ? (['body', 'context'] as const).filter((k) => repair[k] !== undefined) : [];
  return { action: edited.length ? 'fault.edit-resubmit' : 'fault.resubmit', edited };
}

export async function required(faults: FaultStore, id: string): Promise<FaultRecord> {
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

  // Registered before `/faults/:id`'s siblings so `/faults/groups` is never read as a fault id (find-my-way prefers static parts anyway).
  registerFaultBulkRoutes(app, deps, guard);

  app.get<{ Querystring: ListParams }>('/faults', { ...listFaultsSchema(FAULT_LIST_DEFAULT, FAULT_LIST_MAX), preValidation: guard }, async (req) => {
    const q = req.query;
    const limit = parseLimit(q.limit);
    const filter = { itinerary: textParam(q.itinerary), step: textParam(q.step), code: textParam(q.code), cursor: textParam(q.cursor) };
    const plain = Object.values(filter).every((v) => v === undefined);
    let page: Page<FaultRecord>;
    if (deps.faults.query) {
      page = await deps.faults.query({ limit, ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) });
    } else if (plain) {
      page = { items: await deps.faults.list(limit) };
    } else {
      throw new ItineraError('NOT_SUPPORTED', 'this fault store cannot filter or page; list without itinerary, step, code and cursor');
    }
    const items = page.items.map(summarizeFault);
    // `faults`: the list as clients before paging read it, kept for a request without filters or cursor.
    return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}), ...(plain ? { faults: items } : {}) };
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
    const repair = (body ?? undefined) as FaultRepairInput | undefined;
    const r = await deps.resubmit(req.params.id, repair);
    const { action, edited } = resubmitAction(repair);
    await audited(deps, req, action, req.params.id, {
      messageId: r.messageId,
      itinerary: r.itinerary,
      ...(repair?.fromStep !== undefined ? { fromStep: repair.fromStep } : {}),
      ...(edited.length ? { edited } : {}),
    });
    return reply
      .code(202)
      .header('Itinera-Message-Id', r.messageId)
      .header('Itinera-Correlation-Id', r.correlationId)
      .header('Location', `/messages/${r.messageId}`)
      .send({ messageId: r.messageId, correlationId: r.correlationId, itinerary: r.itinerary, status: 'accepted' });
  });

  app.delete<{ Params: { id: string } }>('/faults/:id', { ...DELETE_FAULT_SCHEMA, preValidation: guard }, async (req, reply) => {
    const fault = await required(deps.faults, req.params.id);
    await deps.faults.remove(req.params.id);
    await audited(deps, req, 'fault.delete', req.params.id, { messageId: fault.messageId, itinerary: fault.itinerary });
    return reply.code(204).send();
  });
}
