import { defineOnRamp } from '@itinera/core';
import { httpOf, type NodeOnRampContext } from '../on-ramp-context';
import { HTTP_ROUTES } from './http-routes';

/**
 * The HTTP on-ramp: messages in (POST /messages, /itineraries/{name}/messages), records,
 * itineraries, health, metrics, faults, activities, graphs and the AsyncAPI document:
 * every group of HTTP_ROUTES, in the node's HTTP scope. Fastify closes its routes with the server.
 */
export const HTTP_ON_RAMP = defineOnRamp<NodeOnRampContext>({
  name: 'http',
  summary: 'Messages over HTTP: POST /messages and /itineraries/{name}/messages, with records, health, metrics and the operator routes.',
  // Node-wide settings (ITINERA_RATE_LIMIT, ITINERA_METRICS_AUTH, ITINERA_MAX_BODY_BYTES, …) reach it through `node` and `limits`.
  spec: {},
  roles: ['gateway'],
  start(ctx) {
    httpOf(ctx, 'http').routes((scope) => {
      for (const register of HTTP_ROUTES) register(scope, ctx);
    });
    return { close: async () => undefined };
  },
});
