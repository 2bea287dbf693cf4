import { defineOnRamp } from '@itinera/core';
import { duplexDepsOf } from '../duplex/duplex-deps';
import { httpOf, type NodeOnRampContext } from '../on-ramp-context';
import type { DualHttpSessions } from '../dual-http/dual-http.on-ramp';
import { registerPollingDuplex, type PollingDuplex } from './poll.receive';

/** A started dual-HTTP on-ramp offers `prepare`: POST /duplex/sessions with a callbackUrl opens its sessions. */
function dualHttpOf(ctx: NodeOnRampContext): DualHttpSessions | undefined {
  const peer = ctx.peer?.('dual-http') as Partial<DualHttpSessions> | undefined;
  return peer && typeof peer.prepare === 'function' ? (peer as DualHttpSessions) : undefined;
}

/** Long polling as an on-ramp of the node: the `/duplex/sessions` routes in the node's HTTP scope. */
export const POLL_ON_RAMP = defineOnRamp<NodeOnRampContext>({
  name: 'poll',
  summary: 'Duplex sessions over HTTP long polling: /duplex/sessions (and dual HTTP when the client names a callbackUrl).',
  // Node-wide settings (ITINERA_POLL_TIMEOUT_MS, ITINERA_SESSION_TTL_MS, ITINERA_ALLOWED_ORIGINS, …) reach it through `node`.
  spec: {},
  roles: ['gateway'],
  start(ctx) {
    let polling: PollingDuplex | undefined;
    const dualHttp = dualHttpOf(ctx);
    httpOf(ctx, 'poll').routes((scope) => {
      polling = registerPollingDuplex(scope, { ...duplexDepsOf(ctx), ...(dualHttp ? { dualHttp } : {}), allowedOrigins: ctx.node.allowedOrigins });
    });
    return { close: async (opts) => polling?.close({ reason: 'shutdown', retryAfterMs: opts.retryAfterMs }) };
  },
});
