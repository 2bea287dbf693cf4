import type { Logger, OnRampGateway, SessionStore } from '@itinera/core';
import type { OnRampLimits } from '../limits/on-ramp-limits';
import type { Authenticator } from '../identity/authenticator';
import type { DuplexOptions } from './duplex-options';

/** What every duplex transport (WebSocket, long polling, TCP, dual HTTP) runs its sessions on. */
export interface DuplexDeps {
  gateway: OnRampGateway;
  sessions: SessionStore;
  logger: Logger;
  /** Missing fields take their defaults (see DUPLEX_OPTION_SPECS). */
  options?: Partial<DuplexOptions>;
  /** New-session, open-session and message limits; none when absent. */
  limits?: OnRampLimits;
  /** Who is calling (hello `credential`, session requests); absent: everyone is anonymous. */
  auth?: Authenticator;
}

/** The duplex parts of a node's on-ramp context. */
export function duplexDepsOf(ctx: { gateway: OnRampGateway; sessions: SessionStore; logger: Logger; limits?: OnRampLimits; auth?: Authenticator; node?: { duplex?: Partial<DuplexOptions> } }): DuplexDeps {
  return { gateway: ctx.gateway, sessions: ctx.sessions, logger: ctx.logger, options: ctx.node?.duplex, limits: ctx.limits, auth: ctx.auth };
}
