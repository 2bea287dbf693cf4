import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ItineraError, toItineraError, type FaultGroupBy } from '@itinera/core';
import { audited, required, type FaultRoutesDeps } from './faults.receive';
import { BULK_FAULTS_SCHEMA, FAULT_GROUPS_SCHEMA } from './fault-bulk.schemas';

/** Ids one bulk request may name. */
export const BULK_MAX_IDS = 500;
/** Faults a bulk request works on at once (a resubmission is a store read, a publish and writes). */
const BULK_CONCURRENCY = 8;
const GROUP_BY: readonly FaultGroupBy[] = ['itinerary', 'step', 'code'];

interface BulkInput {
  action: 'resubmit' | 'delete';
  ids: string[];
}

/** Check a bulk request: VALIDATION_FAILED with a pointer for each mistake. */
function checkBulk(body: unknown): BulkInput {
  const errors: { pointer: string; message: string }[] = [];
  const doc = body as Partial<BulkInput> | null | undefined;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ItineraError('VALIDATION_FAILED', 'send { "action": "resubmit" | "delete", "ids": ["<fault id>", …] }', {
      details: [{ pointer: '', message: 'must be an object' }],
    });
  }
  if (doc.action !== 'resubmit' && doc.action !== 'delete') errors.push({ pointer: '/action', message: 'must be "resubmit" or "delete"' });
  if (!Array.isArray(doc.ids) || doc.ids.length === 0) errors.push({ pointer: '/ids', message: 'must be a non-empty array of fault ids' });
  else if (doc.ids.length > BULK_MAX_IDS) errors.push({ pointer: '/ids', message: `at most ${BULK_MAX_IDS} ids per request; send the rest in another` });
  else doc.ids.forEach((id, i) => typeof id !== 'string' || !id ? errors.push({ pointer: `/ids/${i}`, message: 'must be a fault id' }) : undefined);
  if (errors.length) throw new ItineraError('VALIDATION_FAILED', `the bulk request is invalid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, { details: errors });
  return { action: doc.action!, ids: [...new Set(doc.ids as string[])] };
}

/** Run `fn` over `items`, at most `n` at a time, answers in the items' order. */
async function pooled<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

/** `GET /faults/groups` and `POST /faults/bulk`: the console's fault overview and its actions on many faults. */
export function registerFaultBulkRoutes(app: FastifyInstance, deps: FaultRoutesDeps, guard: (req: FastifyRequest) => Promise<void>): void {
  app.get<{ Querystring: { by?: string } }>('/faults/groups', { ...FAULT_GROUPS_SCHEMA, preValidation: guard }, async (req) => {
    const by = (req.query.by || 'itinerary') as FaultGroupBy;
    if (!GROUP_BY.includes(by)) {
      throw new ItineraError('BAD_REQUEST', `by must be one of ${GROUP_BY.join(', ')}; got "${req.query.by}"`, {
        details: [{ pointer: '/by', message: `must be one of ${GROUP_BY.join(', ')}` }],
      });
    }
    if (!deps.faults.groups) throw new ItineraError('NOT_SUPPORTED', 'this fault store cannot group faults; use the memory or Redis store');
    return { groups: await deps.faults.groups(by) };
  });

  app.post('/faults/bulk', { ...BULK_FAULTS_SCHEMA, preValidation: guard }, async (req) => {
    const { action, ids } = checkBulk(req.body);
    // What was done is audited even when a store or transport failure ends the request:
    // the other lanes may already have resubmitted or deleted faults by then.
    const done: string[] = [];
    const failed: { id: string; code: string }[] = [];
    const audit = (extra: Record<string, unknown> = {}) =>
      audited(deps, req, `fault.bulk-${action}`, `${ids.length} faults`, { ids: done, ...(failed.length ? { failed } : {}), ...extra });
    let results;
    try {
      results = await pooled(ids, BULK_CONCURRENCY, async (id) => {
        try {
          let messageId: string | undefined;
          if (action === 'resubmit') messageId = (await deps.resubmit(id)).messageId;
          else {
            await required(deps.faults, id);
            await deps.faults.remove(id);
          }
          done.push(id);
          return messageId === undefined ? { id, ok: true } : { id, ok: true, messageId };
        } catch (err) {
          const e = toItineraError(err);
          // A store or transport failure is the request's, not one fault's: the caller retries the lot.
          if (e.status >= 500) throw e;
          failed.push({ id, code: e.code });
          return { id, ok: false, code: e.code, message: e.message };
        }
      });
    } catch (err) {
      await audit({ interrupted: toItineraError(err).code }).catch(() => undefined);
      throw err;
    }
    await audit();
    return { results };
  });
}
