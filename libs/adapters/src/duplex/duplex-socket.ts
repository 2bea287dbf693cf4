import type { RawData } from 'ws';

/**
 * What a DuplexConnection needs of its socket: the surface of a `ws` WebSocket,
 * which the TCP on-ramp's framed socket (tcp/tcp-socket.ts) also offers, so both
 * transports run the same frames, rules and sequence.
 */
export interface DuplexSocket {
  readonly readyState: number;
  readonly OPEN: number;
  /** Bytes written but not yet sent. */
  readonly bufferedAmount: number;
  send(text: string, cb?: (err?: Error) => void): void;
  /** A transport-level ping (a no-op where the transport has none: the client pings). */
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: 'ping' | 'pong', listener: () => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** The duplex transports that hold a socket. */
export type SocketTransport = 'ws' | 'tcp';
