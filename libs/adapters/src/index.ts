// Send adapters (off-ramps) and the adapter provider.
export * from './send-adapters';
// What duplex transports share, then the WebSocket and long-polling on-ramps.
export * from './duplex';
export { attachWebSocketDuplex, hardFrameCap, type WebSocketDuplexDeps, type WebSocketDuplex, type DuplexCloseOptions } from './ws/ws.on-ramp';
export { registerPollingDuplex, type PollingDuplex, type PollAnswer } from './http/poll.receive';
// Duplex over dual HTTP (webhooks to the client's callbackUrl).
export * from './dual-http';
// The HTTP on-ramp.
export * from './http/http.receive';
// The on-ramps of a node, each one file, in one list (ALL_ON_RAMPS).
export * from './on-ramps';
// Route schemas (Fastify validates and serialises with them; /openapi.json is generated from them).
export * from './http/route.schemas';
export { LIVE_SCHEMA, READY_SCHEMA, metricsSchema } from './http/http.schemas';
export { validationProblem } from './http/validation-problem';
// Business activity monitoring: GET /activities (aggregates) and /activities/{correlationId}.
export { registerActivityRoutes, parseActivityQuery, declaredTracking, type ActivityRoutesDeps } from './http/activities.receive';
export { registerGraphRoute, GRAPH_ROUTE_FORMATS, type GraphRouteDeps, type GraphRouteFormat } from './http/graph.receive';
// Session, message and request limits of the on-ramps (rate-limiter-flexible).
export { OnRampLimits, RateLimitedError, retryAfterOf, NO_LIMITS, type LimitSettings, type Caller, type OnRampLimitsOptions } from './limits/on-ramp-limits';
export { trustFunction, clientAddress, addressLimitKey, parseTrustProxy, type TrustProxy, type TrustFn } from './limits/client-address';
export * from './http/faults.receive';
// Client identity: API keys, JWTs, the one Authenticator every on-ramp calls.
export * from './identity/api-keys';
export * from './identity/jwt';
export * from './identity/authenticator';
export * from './identity/request-identity';
export * from './identity/operator-guard';
export * from './identity/operator-tokens';
// The operator console's endpoints: message search, audit trail, live view, action schemas.
export { registerOperatorRoutes, type OperatorRoutesDeps } from './http/operator.routes';
export type { LiveAnswer, LiveRow } from './http/live.receive';
