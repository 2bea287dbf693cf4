import type { FastifyInstance } from 'fastify';
import { ItineraError, MILESTONE_NAME, type ActivityQuery, type ActivityStore, type ItineraryDefinition } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { ACTIVITY_AGGREGATE_SCHEMA, GET_ACTIVITY_SCHEMA } from './activities.schemas';
import { useSharedSchemas } from './route.schemas';

export interface ActivityRoutesDeps {
  activities: ActivityStore;
  /** The deployed itineraries: which names exist and what they track. */
  itineraries: { itineraries(): Iterable<ItineraryDefinition> };
  /** The routes need an operator, as `operatorGuard` says. */
  auth: Authenticator;
  now?: () => number;
}

export interface ActivityQueryParams {
  itinerary?: string;
  from?: string;
  to?: string;
  bucket?: string;
  groupBy?: string;
  between?: string;
}

/** Buckets one query may ask for. */
export const MAX_BUCKETS = 1000;
const DEFAULT_RANGE_MS = 24 * 3600_000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** What the deployed itineraries track: milestone and field names, and the itinerary names. */
export function declaredTracking(defs: Iterable<ItineraryDefinition>): { names: Set<string>; milestones: string[]; fields: string[] } {
  const names = new Set<string>();
  const milestones = new Set<string>();
  const fields = new Set<string>();
  for (const def of defs) {
    names.add(def.name);
    for (const step of def.steps) {
      if (!step.track) continue;
      milestones.add(step.track.milestone);
      for (const f of Object.keys(step.track.fields ?? {})) fields.add(f);
    }
  }
  return { names, milestones: [...milestones].sort(), fields: [...fields].sort() };
}

const bad = (code: string, pointer: string, message: string) => new ItineraError(code, message, { details: [{ pointer, message }] });

function parseTime(raw: string, name: string): number {
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(t)) throw bad('BAD_REQUEST', `/${name}`, `${name} must be an ISO time (2024-05-01T10:00:00Z) or epoch milliseconds; got "${raw}"`);
  return t;
}

export function parseBucket(raw: string | undefined): number {
  if (raw === undefined || raw === '') return UNIT_MS.h;
  const m = /^([1-9]\d{0,6})(s|m|h|d)$/.exec(raw);
  if (!m) throw bad('BAD_BUCKET', '/bucket', `bucket must be <n>s, <n>m, <n>h or <n>d (e.g. 30s, 5m, 1h, 1d); got "${raw}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** The store query of `GET /activities`, every mistake a problem with its own code. */
export function parseActivityQuery(q: ActivityQueryParams, declared: ReturnType<typeof declaredTracking>, nowMs: number): ActivityQuery {
  if (!q.itinerary) throw bad('BAD_REQUEST', '/itinerary', 'itinerary is required: GET /activities?itinerary=<name>');
  if (!declared.names.has(q.itinerary)) {
    throw bad('ITINERARY_NOT_FOUND', '/itinerary', `no itinerary "${q.itinerary}" is deployed; deployed: ${[...declared.names].sort().join(', ') || '(none)'}`);
  }
  const bucketMs = parseBucket(q.bucket);
  const toMs = q.to ? parseTime(q.to, 'to') : nowMs;
  const fromMs = q.from ? parseTime(q.from, 'from') : toMs - DEFAULT_RANGE_MS;
  if (toMs <= fromMs) throw bad('BAD_REQUEST', '/to', 'to must be after from');
  const buckets = Math.ceil((toMs - fromMs) / bucketMs);
  if (buckets > MAX_BUCKETS) {
    throw bad('RANGE_TOO_LARGE', '/bucket', `the range holds ${buckets} buckets, more than ${MAX_BUCKETS}: use a wider bucket or a shorter range`);
  }
  const query: ActivityQuery = { itinerary: q.itinerary, fromMs, toMs, bucketMs };
  if (q.groupBy !== undefined) {
    if (!declared.fields.includes(q.groupBy)) {
      throw bad('UNKNOWN_TRACKED_FIELD', '/groupBy', `no deployed itinerary tracks a field "${q.groupBy}"; tracked: ${declared.fields.join(', ') || '(none)'}`);
    }
    query.groupBy = q.groupBy;
  }
  if (q.between !== undefined) {
    const pair = q.between.split(',').map((s) => s.trim());
    if (pair.length !== 2 || !pair.every((p) => MILESTONE_NAME.test(p))) {
      throw bad('BAD_REQUEST', '/between', `between must be two milestones "a,b" (e.g. ordered,fulfilled); got "${q.between}"`);
    }
    for (const p of pair) {
      if (!declared.milestones.includes(p)) {
        throw bad(
          'UNKNOWN_MILESTONE',
          '/between',
          `no deployed itinerary declares the milestone "${p}"; declared: ${declared.milestones.join(', ') || '(none)'}`,
        );
      }
    }
    query.between = [pair[0], pair[1]];
  }
  return query;
}

/**
 * Business activity monitoring over HTTP, for operators: one activity by correlation
 * id, and aggregates per itinerary and time bucket. Register inside the HTTP on-ramp's
 * encapsulated plugin, whose error handler answers problem+json.
 */
export function registerActivityRoutes(app: FastifyInstance, deps: ActivityRoutesDeps): void {
  const guard = operatorGuard(deps.auth, 'the activity endpoints');
  const now = deps.now ?? Date.now;
  useSharedSchemas(app);

  app.get<{ Querystring: ActivityQueryParams }>('/activities', { ...ACTIVITY_AGGREGATE_SCHEMA, preValidation: guard }, async (req) => {
    const declared = declaredTracking(deps.itineraries.itineraries());
    const aggregate = await deps.activities.aggregate(parseActivityQuery(req.query, declared, now()));
    return { ...aggregate, declared: { milestones: declared.milestones, fields: declared.fields } };
  });

  app.get<{ Params: { correlationId: string } }>('/activities/:correlationId', { ...GET_ACTIVITY_SCHEMA, preValidation: guard }, async (req) => {
    const activity = await deps.activities.get(req.params.correlationId);
    if (!activity) {
      throw new ItineraError(
        'ACTIVITY_NOT_FOUND',
        `no activity for correlation id ${req.params.correlationId}: none of its steps tracks a milestone, or it is past retention (ITINERA_BAM_RETENTION_MS)`,
      );
    }
    return activity;
  });
}
