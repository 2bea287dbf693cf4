// The Itinera duplex client (Node and browsers): WebSocket and long polling.
export { ItineraClient } from './client';
export type { ItineraClientOptions, ReconnectOptions, ClientEvents, ClientState } from './client-types';
export type { BindTarget, CallbackAction, CallbackHandler, CallbackHandlers, ContractCallbackFrame, FaultHandler } from './callbacks';
export { ItineraClientError, CLIENT_ERROR_CODES } from './errors';
export type { AcceptedFrame, CallbackFrame, FaultFrame, OutboxFrame, ClosingInfo, ClosingReason, ResumeInfo, Welcome, SendFrame } from './frames';
export type { TransportName } from './link';
export type { WebSocketConstructor, WebSocketLike } from './ws.link';
export type { FetchLike } from './poll.link';
