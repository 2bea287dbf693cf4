// What every duplex transport shares (frames, options, registry, outbox pump, sweeper);
// the transports themselves (ws/, http/poll, tcp/, dual-http/) build on it, never the reverse.
export type { DuplexDeps } from './duplex-deps';
export { startSessionSweeper, expiredFrameFault, SESSION_OUTBOX_ITINERARY, type SessionSweeper, type SessionSweeperDeps } from './duplex-sweeper';
export {
  DEFAULT_DUPLEX_OPTIONS,
  DUPLEX_OPTION_SPECS,
  duplexOptions,
  duplexOptionsFromEnv,
  duplexOptionsMarkdown,
  type DuplexOptions,
} from './duplex-options';
export {
  CLOSE_CODES,
  DUPLEX_SUBPROTOCOL,
  MAX_CLIENT_ID_LENGTH,
  CLIENT_FRAME_TYPES,
  SERVER_FRAME_TYPES,
  parseClientFrame,
  type ClientFrame,
  type ClosingReason,
  type HelloFrame,
  type SendFrame,
  type AckFrame,
} from './duplex-frames';
export type { AcceptedFrame } from './duplex-send';
export { ASYNCAPI_DOCUMENT, registerAsyncApiRoute } from '../asyncapi';
export { registryFor, type DuplexRegistry, type DuplexEndpoint, type DuplexTransport } from './duplex-registry';
// Duplex over TCP (or TLS): length-prefixed frames on the same DuplexConnection.
export { TCP_ON_RAMP, TCP_ON_RAMP_SPEC, startTcpDuplex, type TcpDuplex, type TcpOnRampContext, type TcpSettings } from '../tcp/tcp.on-ramp';
export { FrameDecoder, encodeFrame, LENGTH_PREFIX_BYTES } from '../tcp/tcp-framing';
export {
  problemOf,
  sendProblem,
  fromFastifyError,
  codeToKebab,
  codeToTitle,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  type ProblemDetails,
} from '../http/problem';
export { clientErrorProblem, writeClientErrorProblem } from '../http/client-error';
