import type { FastifyInstance } from 'fastify';
import type { AuditStore, ItineraryDefinition, MessageStore } from '@itinera/core';
import type { Authenticator } from '../identity/authenticator';
import { registerAuditRoute } from './audit.receive';
import { registerItinerarySchemasRoute } from './itinerary-schemas.receive';
import { registerLiveRoute, type LiveAnswer } from './live.receive';
import { registerMessageSearch } from './message-search.receive';

export interface OperatorRoutesDeps {
  messages: MessageStore;
  audit: AuditStore;
  itineraries: {
    itinerary(name: string, version?: string): ItineraryDefinition;
    schema(name: string): Record<string, unknown> | undefined;
  };
  live(): Promise<LiveAnswer>;
  auth: Authenticator;
}

/**
 * The operator console's read endpoints beside /faults: message search, the audit trail,
 * the live view and the action schemas. Register inside the HTTP on-ramp's plugin,
 * whose error handler answers problem+json.
 */
export function registerOperatorRoutes(app: FastifyInstance, deps: OperatorRoutesDeps): void {
  registerMessageSearch(app, deps);
  registerAuditRoute(app, deps);
  registerLiveRoute(app, deps);
  registerItinerarySchemasRoute(app, deps);
}
