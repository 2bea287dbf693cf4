// Send adapters (off-ramps) and the adapter provider.
export * from './send-adapters';
// Duplex on-ramps: WebSocket and HTTP long polling.
export * from './duplex';
// The HTTP on-ramp.
export * from './http/http.receive';
export * from './http/faults.receive';
