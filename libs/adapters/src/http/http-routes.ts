import type { FastifyInstance } from 'fastify';
import type { NodeOnRampContext } from '../on-ramp-context';
import { registerAsyncApiRoute } from '../asyncapi';
import { registerActivityRoutes } from './activities.receive';
import { registerFaultRoutes } from './faults.receive';
import { registerGraphRoute } from './graph.receive';
import { registerHttpOnRamp } from './http.receive';
import { registerOperatorRoutes } from './operator.routes';

/** One group of routes of the HTTP on-ramp, registered in the node's HTTP scope (problem+json errors). */
export type HttpRoutes = (scope: FastifyInstance, ctx: NodeOnRampContext) => void;

/**
 * Every route group the HTTP on-ramp serves, in order. A new group is one file under
 * http/ plus one line here. The first sets the scope's problem+json error handler and
 * JSON parsers, which every later group (and the other on-ramps' routes) shares.
 */
export const HTTP_ROUTES: readonly HttpRoutes[] = [
  // Messages in, records, itineraries, health and metrics (the HTTP section of the protocol).
  (scope, ctx) =>
    registerHttpOnRamp(scope, {
      auth: ctx.auth,
      metricsAuth: ctx.node.metricsAuth,
      gateway: ctx.gateway,
      messages: ctx.messages,
      sessions: ctx.sessions,
      itineraries: ctx.view.itineraries,
      ready: () => ctx.view.ready(),
      metrics: () => ctx.view.metrics.render(),
      metricsContentType: ctx.view.metrics.contentType,
      limits: ctx.limits,
    }),
  (scope, ctx) =>
    registerFaultRoutes(scope, {
      faults: ctx.faults,
      resubmit: (id, repair) => ctx.view.resubmit(id, repair),
      auth: ctx.auth,
      audit: ctx.view.audit,
      logger: ctx.logger,
    }),
  // The operator console's reads: message search, audit trail, live view, action schemas.
  (scope, ctx) =>
    registerOperatorRoutes(scope, {
      messages: ctx.messages,
      audit: ctx.view.audit,
      itineraries: ctx.view.itineraries,
      live: () => ctx.view.live(),
      auth: ctx.auth,
    }),
  (scope, ctx) => registerActivityRoutes(scope, { activities: ctx.view.activities, itineraries: ctx.view.itineraries, auth: ctx.auth }),
  (scope, ctx) => registerGraphRoute(scope, { draw: (name, version, format) => ctx.view.draw(name, version, format), auth: ctx.auth }),
  (scope) => registerAsyncApiRoute(scope),
];
