import type { Server } from 'node:http';
import type { ConfigSpec } from './spec';
import type { Logger } from './logger';
import type { OnRampGateway } from './gateway';
import type { SessionStore } from './session';
import type { FaultStore, MessageStore } from './records';
import type { MessageBox } from './message-box';

/**
 * A receive adapter (on-ramp): how messages reach the bus. Declared once with the
 * settings it reads, started by the runtime with the parts of the bus it may use,
 * and closed on shutdown. HTTP, WebSocket, long polling, dual HTTP, TCP and queue
 * on-ramps all have this shape, so adding a transport is one file plus one entry
 * in the list of on-ramps.
 */
export interface OnRamp<Ctx extends OnRampContext = OnRampContext> {
  /** Stable name: used in logs, metrics (`on_ramp` label) and envelope origins. */
  readonly name: string;
  /** One line for the docs. */
  readonly summary: string;
  /** Settings it reads (environment variable names), for validation and the generated reference. */
  readonly spec: ConfigSpec;
  /** The roles that run it (default: gateway). */
  readonly roles?: readonly ('gateway' | 'worker')[];
  /** Whether its settings turn it on (default: always); e.g. TCP only with a port. */
  enabled?(settings: Record<string, unknown>): boolean;
  start(ctx: Ctx): Promise<RunningOnRamp> | RunningOnRamp;
}

/** The parts of the bus an on-ramp may use. Framework objects stay opaque here. */
export interface OnRampContext {
  /** Its own settings, parsed with its `spec`. */
  settings: Record<string, unknown>;
  gateway: OnRampGateway;
  sessions: SessionStore;
  messages: MessageStore;
  faults: FaultStore;
  box: MessageBox;
  logger: Logger;
  /**
   * On gateways: the node's HTTP server (for upgrades) and a way to add routes to its app.
   * Every `register` runs in one Fastify scope whose errors are answered as problem+json.
   */
  http?: { server: Server; routes(register: (scope: any) => void): void };
  /** An on-ramp started before this one, by name (long polling opens dual-HTTP sessions). */
  peer?(name: string): RunningOnRamp | undefined;
}

export interface OnRampCloseOptions {
  /** Finish what was accepted (answer in-flight sends, let held polls answer) before closing. */
  drain: boolean;
  reason?: 'shutdown';
  /** Told to clients that should come back (`closing` frames, `Retry-After`). */
  retryAfterMs?: number;
  /** Longest wait for work in flight when draining (ITINERA_SHUTDOWN_TIMEOUT_MS). */
  timeoutMs?: number;
}

export interface RunningOnRamp {
  close(opts: OnRampCloseOptions): Promise<void>;
  /** Frames it wrote to clients itself, outside the duplex registry (the callbacks-delivered metrics). */
  readonly delivery?: { readonly delivered: number; readonly redelivered: number };
}

export function defineOnRamp<Ctx extends OnRampContext = OnRampContext>(onRamp: OnRamp<Ctx>): OnRamp<Ctx> {
  return onRamp;
}
