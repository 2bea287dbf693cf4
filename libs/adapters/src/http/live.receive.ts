import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { LIVE_VIEW_SCHEMA } from './live.schemas';

/** One row of the live view: an itinerary (no `step`) or one of its steps. */
export interface LiveRow {
  itinerary: string;
  step?: string;
  throughputPerSec: number;
  p50Ms: number;
  p95Ms: number;
  faults: number;
}

/** What `GET /live` answers. */
export interface LiveAnswer {
  at: string;
  windowSeconds: number;
  itineraries: LiveRow[];
  sessions: { open: number };
  outboxes: { session: string; depth: number }[];
  queues: { name: string; waiting: number; active: number; delayed: number }[];
}

export interface LiveRouteDeps {
  live(): Promise<LiveAnswer>;
  auth: Authenticator;
}

/** `GET /live`: the console's dashboard, read from the metrics, the session store and the message box. */
export function registerLiveRoute(app: FastifyInstance, deps: LiveRouteDeps): void {
  app.get('/live', { ...LIVE_VIEW_SCHEMA, preValidation: operatorGuard(deps.auth, 'the live view') }, () => deps.live());
}
