// The Itinera duplex client (Node and browsers): WebSocket and long polling.
export { ItineraClient, type ItineraClientOptions, type ReconnectOptions, type ClientEvents, type ClientState, type CallbackHandler, type FaultHandler } from './client';
export { ItineraClientError, CLIENT_ERROR_CODES } from './errors';
export type { AcceptedFrame, CallbackFrame, FaultFrame, OutboxFrame, ClosingInfo, ClosingReason, ResumeInfo, Welcome, SendFrame } from './frames';
export type { TransportName } from './link';
export type { WebSocketConstructor, WebSocketLike } from './ws.link';
export type { FetchLike } from './poll.link';
// Node only (loads esbuild lazily): the browser bundle served at /client/itinera.js.
export { buildBrowserBundle, type BrowserBundleOptions } from './bundle';
