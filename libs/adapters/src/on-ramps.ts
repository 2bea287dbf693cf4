import type { ConfigSpec } from '@itinera/core';
import type { NodeOnRamp } from './on-ramp-context';
import { HTTP_ON_RAMP } from './http/http.on-ramp';
import { dualHttpOnRamp } from './dual-http/dual-http.on-ramp';
import { POLL_ON_RAMP } from './http/poll.on-ramp';
import { WS_ON_RAMP } from './ws/ws.on-ramp';
import { TCP_ON_RAMP } from './tcp/tcp.on-ramp';
import { QUEUE_ON_RAMP } from './queue/queue.on-ramp';

export { HTTP_ON_RAMP } from './http/http.on-ramp';
export { HTTP_ROUTES, type HttpRoutes } from './http/http-routes';
export { POLL_ON_RAMP } from './http/poll.on-ramp';
export { WS_ON_RAMP } from './ws/ws.on-ramp';
export { QUEUE_ON_RAMP } from './queue/queue.on-ramp';
export { httpOf, type NodeOnRamp, type NodeOnRampContext, type NodeSettings, type NodeView, type QueueBinding } from './on-ramp-context';

/**
 * Every built-in on-ramp, in start order (the runtime closes them in reverse). A new
 * transport is one file plus one line here; its settings join the configuration and the
 * generated reference through ON_RAMP_SPEC. Dual HTTP starts before long polling, which
 * opens its sessions; the queue on-ramp last, once every other way in is open.
 */
export const ALL_ON_RAMPS: readonly NodeOnRamp[] = [HTTP_ON_RAMP, dualHttpOnRamp, POLL_ON_RAMP, WS_ON_RAMP, TCP_ON_RAMP, QUEUE_ON_RAMP];

/** The settings every built-in on-ramp declares, as one spec (part of the runtime's CONFIG_SPEC). */
export const ON_RAMP_SPEC: ConfigSpec = Object.assign({}, ...ALL_ON_RAMPS.map((r) => r.spec));
