import type { FastifyInstance } from 'fastify';
import type { ItineraryDefinition } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { operatorGuard } from '../identity/operator-guard';
import { ITINERARY_SCHEMAS_SCHEMA } from './audit.schemas';

export interface ItinerarySchemasDeps {
  itineraries: {
    itinerary(name: string, version?: string): ItineraryDefinition;
    schema(name: string): Record<string, unknown> | undefined;
  };
  auth: Authenticator;
}

/**
 * `GET /itineraries/{name}/schemas`: each action's JSON Schema, resolved from `schemas/`
 * when the action names one (the definition itself only names it).
 */
export function registerItinerarySchemasRoute(app: FastifyInstance, deps: ItinerarySchemasDeps): void {
  app.get<{ Params: { name: string }; Querystring: { version?: string } }>(
    '/itineraries/:name/schemas',
    { ...ITINERARY_SCHEMAS_SCHEMA, preValidation: operatorGuard(deps.auth, 'itinerary schemas') },
    async (req) => {
      const def = deps.itineraries.itinerary(req.params.name, req.query.version || undefined);
      const actions: Record<string, { description?: string; schemaName?: string; schema: Record<string, unknown> | null }> = {};
      for (const [name, a] of Object.entries(def.actions ?? {})) {
        const named = typeof a.schema === 'string' ? a.schema : undefined;
        actions[name] = {
          ...(a.description ? { description: a.description } : {}),
          ...(named ? { schemaName: named } : {}),
          schema: (named ? deps.itineraries.schema(named) : (a.schema as Record<string, unknown> | undefined)) ?? null,
        };
      }
      return { name: def.name, version: def.version, actions };
    },
  );
}
