import { trustFunction, type NodeOnRampContext } from '@itinera/adapters';
import type { OnRamp, RunningOnRamp } from '@itinera/core';
import { drawDeployedItinerary } from '@itinera/engine';
import type { Bus } from './bus';
import { CONFIG_SPEC, redisEndpointOf } from './config';
import type { MountedGateway } from './mount';
import { settingsFor } from './on-ramp-runner';

const CONFIG_KEYS: ReadonlySet<string> = new Set(Object.keys(CONFIG_SPEC));

/**
 * What one on-ramp of this node is given: its own settings, the stores, gateway and box,
 * the node's identity, limits and settings, and on gateways its HTTP server and routes.
 * The same for every on-ramp, built-in or an application's own.
 */
export function nodeOnRampContext(
  bus: Bus,
  onRamp: OnRamp<any>,
  peer: (name: string) => RunningOnRamp | undefined,
  mounted?: MountedGateway,
): NodeOnRampContext {
  const { config } = bus;
  return {
    settings: settingsFor(onRamp.name, onRamp.spec, config.onRampSettings, CONFIG_KEYS, process.env),
    gateway: bus.gateway,
    sessions: bus.sessions,
    messages: bus.messages,
    faults: bus.faults,
    box: bus.box,
    logger: bus.logger,
    peer,
    auth: bus.auth,
    ...(mounted ? { http: mounted.http, limits: mounted.limits } : {}),
    node: {
      host: config.host,
      duplex: {
        heartbeatMs: config.heartbeatMs,
        pollTimeoutMs: config.pollTimeoutMs,
        sessionTtlMs: config.sessionTtlMs,
        maxFrameBytes: config.maxFrameBytes,
        maxBufferedBytes: config.wsMaxBufferedBytes,
      },
      allowedOrigins: config.allowedOrigins,
      trustProxy: trustFunction(config.trustProxy),
      metricsAuth: config.metricsAuth,
      deliveryAttempts: config.deliveryAttempts,
      ...(config.transport === 'bullmq' && redisEndpointOf(config) ? { redis: { url: redisEndpointOf(config)!, prefix: config.redisPrefix } } : {}),
    },
    view: {
      itineraries: bus.registry,
      ready: () => bus.checkReady().then(() => true),
      metrics: bus.metrics,
      resubmit: (id, repair) => bus.resubmit(id, repair),
      activities: bus.activities,
      audit: bus.audit,
      live: () => bus.live.read(),
      draw: (name, version, format) => drawDeployedItinerary(bus.registry, name, version, format),
    },
  };
}
