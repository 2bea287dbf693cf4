import type { FastifyInstance } from 'fastify';
import { ItineraError } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';

/** The formats GET /itineraries/{name}/graph draws; `json` is the graph model itself. */
export const GRAPH_ROUTE_FORMATS = ['svg', 'mermaid', 'dot', 'json'] as const;
export type GraphRouteFormat = (typeof GRAPH_ROUTE_FORMATS)[number];

export interface GraphRouteDeps {
  /**
   * The itinerary `name@version` (none: the latest) drawn in `format`: a string with its
   * media type, or the model as an object for `json`. Throws ITINERARY_NOT_FOUND.
   */
  draw(name: string, version: string | undefined, format: GraphRouteFormat): { contentType: string; body: string | object };
  /** Operators only, like the full definition at GET /itineraries/{name}. */
  auth: Authenticator;
}

const OPERATOR_SECURITY: Record<string, string[]>[] = [{}, { bearer: [] }, { apiKey: [] }];

const PROBLEM = {
  description: 'RFC 9457 problem details; switch on `code`.',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code'],
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' } },
        additionalProperties: true,
      },
    },
  },
};

const NODE = {
  type: 'object',
  required: ['id', 'kind', 'details'],
  description:
    'A node: the on-ramp (`:on-ramp`), a step (its id is the step id, as in trace entries), the end (`:end`) or an itinerary fed through a queue (`itinerary:<name>`).',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['entry', 'step', 'end', 'itinerary'] },
    title: { type: 'string' },
    index: { type: 'integer' },
    stage: { type: 'string', enum: ['receive', 'send'] },
    service: { type: 'string' },
    resolver: { type: 'object', additionalProperties: true },
    when: { type: 'string' },
    maps: { type: 'array', items: { type: 'string' } },
    endpoints: { type: 'array', items: { type: 'object', additionalProperties: true } },
    details: { type: 'array', items: { type: 'string' }, description: 'The lines drawn under the title.' },
  },
  additionalProperties: true,
};

export const GET_ITINERARY_GRAPH_SCHEMA = {
  schema: {
    operationId: 'getItineraryGraph',
    tags: ['Itineraries'],
    summary: 'An itinerary drawn as a graph: SVG, Mermaid, Graphviz DOT, or the graph model as JSON (operators)',
    security: OPERATOR_SECURITY,
    params: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    querystring: {
      type: 'object',
      properties: {
        // Checked by the handler, which names the formats in a BAD_REQUEST problem.
        format: { type: 'string', description: 'svg (default), mermaid, dot, or json (the model).', examples: [...GRAPH_ROUTE_FORMATS] },
        version: { type: 'string', description: 'A version or semver range (omitted: the latest).' },
      },
    },
    response: {
      200: {
        description: 'The drawing; for `format=json`, the nodes (ids are the step ids), edges, stages and the publication line.',
        content: {
          'image/svg+xml': { schema: { type: 'string' } },
          'text/vnd.mermaid': { schema: { type: 'string' } },
          'text/vnd.graphviz': { schema: { type: 'string' } },
          'application/json': {
            schema: {
              type: 'object',
              required: ['name', 'version', 'nodes', 'edges', 'stages', 'publication'],
              properties: {
                name: { type: 'string' },
                version: { type: 'string' },
                description: { type: 'string' },
                actions: { type: 'array', items: { type: 'string' } },
                onRamps: { type: 'array', items: { type: 'string' } },
                nodes: { type: 'array', items: NODE },
                edges: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['from', 'to', 'kind'],
                    properties: {
                      from: { type: 'string' },
                      to: { type: 'string' },
                      kind: { type: 'string', enum: ['next', 'queue', 'itinerary'] },
                      label: { type: 'string' },
                    },
                  },
                },
                stages: {
                  type: 'array',
                  items: { type: 'object', properties: { stage: { type: 'string' }, steps: { type: 'array', items: { type: 'string' } } } },
                },
                publication: {
                  type: 'object',
                  description: 'The message is published between `after` and `before` (null: the on-ramp, or no send steps).',
                  properties: { after: { type: ['string', 'null'] }, before: { type: ['string', 'null'] } },
                },
              },
              additionalProperties: true,
            },
          },
        },
      },
      400: PROBLEM,
      401: PROBLEM,
      403: PROBLEM,
      404: PROBLEM,
      503: PROBLEM,
    },
  },
};

/**
 * GET /itineraries/{name}/graph: the drawing `itinera graph` makes, for the console and
 * for docs. Register inside the HTTP on-ramp's plugin, whose error handler answers problem+json.
 */
export function registerGraphRoute(app: FastifyInstance, deps: GraphRouteDeps): void {
  app.get<{ Params: { name: string }; Querystring: { format?: string; version?: string } }>(
    '/itineraries/:name/graph',
    { ...GET_ITINERARY_GRAPH_SCHEMA, preValidation: operatorGuard(deps.auth, 'itinerary graphs') },
    async (req, reply) => {
      const format = req.query.format || 'svg';
      if (!(GRAPH_ROUTE_FORMATS as readonly string[]).includes(format)) {
        throw new ItineraError('BAD_REQUEST', `unknown graph format "${format}"; use one of: ${GRAPH_ROUTE_FORMATS.join(', ')}`, {
          details: [{ pointer: '/format', message: `must be one of ${GRAPH_ROUTE_FORMATS.join(', ')}` }],
        });
      }
      const drawn = deps.draw(req.params.name, req.query.version || undefined, format as GraphRouteFormat);
      return reply.type(drawn.contentType).send(drawn.body);
    },
  );
}
