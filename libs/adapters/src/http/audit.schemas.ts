import { OPERATOR_SECURITY, problems, route } from './route.schemas';

/** Route schemas of `GET /audit` (audit.receive.ts) and `GET /itineraries/{name}/schemas` (itinerary-schemas.receive.ts). */

const OPERATOR_PROBLEMS = { 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE', 'TRANSPORT_UNAVAILABLE'] } as const;

export const LIST_AUDIT_SCHEMA = route({
  operationId: 'listAudit',
  tags: ['Operators'],
  summary: 'The audit trail: who resubmitted, repaired or deleted what, the newest first',
  querystring: {
    type: 'object',
    properties: {
      limit: { type: 'string', pattern: '^\\d+$', description: 'At most this many (1 to 1000, default 50).' },
      cursor: { type: 'string', description: 'The `nextCursor` of the page before.' },
    },
  },
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'A page of audit entries.',
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['at', 'operator', 'action', 'target'],
            properties: {
              at: { type: 'string', format: 'date-time' },
              operator: { type: 'string', description: 'The operator token\'s name (`admin` for ITINERA_ADMIN_TOKEN), the API key\'s name or the JWT\'s subject.' },
              action: {
                type: 'string',
                description: '`fault.resubmit`, `fault.edit-resubmit`, `fault.delete`, `fault.bulk-resubmit`, `fault.bulk-delete`.',
              },
              target: { type: 'string', description: 'The fault id, or `<n> faults` for a bulk action.' },
              detail: { type: 'object', additionalProperties: true },
            },
          },
        },
        nextCursor: { type: 'string' },
      },
    },
    ...problems({ ...OPERATOR_PROBLEMS, 400: ['BAD_REQUEST', 'INVALID_CURSOR'] }),
  },
});

export const ITINERARY_SCHEMAS_SCHEMA = route({
  operationId: 'getItinerarySchemas',
  tags: ['Itineraries'],
  summary: "The JSON Schemas of an itinerary's actions (the fault editor checks repairs with them)",
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  querystring: { type: 'object', properties: { version: { type: 'string', description: 'A version or semver range (omitted: the latest).' } } },
  security: OPERATOR_SECURITY,
  response: {
    200: {
      description: 'Action name → its schema (null: the action takes any body).',
      type: 'object',
      required: ['name', 'version', 'actions'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        actions: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['schema'],
            properties: {
              description: { type: 'string' },
              schemaName: { type: 'string', description: 'The named schema (a file of schemas/), when the action names one.' },
              schema: { type: ['object', 'null'], additionalProperties: true },
            },
          },
        },
      },
    },
    ...problems({ 401: ['UNAUTHORIZED'], 403: ['FORBIDDEN'], 404: ['ITINERARY_NOT_FOUND'], 500: ['INTERNAL'], 503: ['AUTH_UNAVAILABLE'] }),
  },
});
