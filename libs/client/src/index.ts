// The Itinera duplex client (Node and browsers): WebSocket and long polling.
export { ItineraClient } from './client';
export type { ItineraClientOptions, ReconnectOptions, ClientEvents, ClientState } from './client-types';
export type { BindTarget, CallbackAction, CallbackHandler, CallbackHandlers, ContractCallbackFrame, FaultHandler } from './callbacks';
export { ItineraClientError, CLIENT_ERROR_CODES } from './errors';
export type { AcceptedFrame, CallbackFrame, FaultFrame, OutboxFrame, ClosingInfo, ClosingReason, ResumeInfo, Welcome, SendFrame } from './frames';
export type { TransportName } from './link';
export type { WebSocketConstructor, WebSocketLike } from './ws.link';
export type { FetchLike } from './poll.link';
// TCP (Node only): `transport: 'tcp'` or a tcp:// / tls:// url. Added here, not in the browser entry.
import { addNodeLink } from './link-factory';
import { TcpLink } from './tcp.link';
export { TcpLink, type TcpTlsOptions } from './tcp.link';
addNodeLink('tcp', (url, events, opts) => new TcpLink(url, events, opts));
// Dual HTTP (Node only): open a session whose callbacks the bus POSTs to you, and verify them. Not in the browser entry.
export { WebhookReceiver, createWebhookReceiver, WEBHOOK_INVALID } from './webhooks';
export { DualHttpSession, openDualHttpSession } from './dual-http.session';
export type { WebhookReceiverOptions, WebhookRequest, WebhookResponse } from './webhooks';
export type { DualHttpSessionInfo, DualHttpSessionOptions } from './dual-http.session';
