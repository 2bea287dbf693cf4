import { ItineraError, type ActivityStore, type AuditStore, type ItineraryDefinition, type OnRamp, type OnRampContext, type RedisEndpoint } from '@itinera/core';
import type { LiveAnswer } from './http/live.receive';
import type { Authenticator } from './identity/authenticator';
import type { OnRampLimits } from './limits/on-ramp-limits';
import type { TrustFn } from './limits/client-address';
import type { DuplexOptions } from './duplex/duplex-options';
import type { FaultRepairInput } from './http/faults.receive';
import type { GraphRouteFormat } from './http/graph.receive';

/** A queue an itinerary takes messages from (its `onRamps.queue` entries). */
export interface QueueBinding {
  queue: string;
  itinerary: string;
  concurrency?: number;
}

/**
 * What a node shows its on-ramps beyond the stores: the deployed itineraries, health,
 * metrics and the operator actions. The runtime builds it once from the bus.
 */
export interface NodeView {
  itineraries: {
    list(): unknown[];
    itinerary(name: string, version?: string): ItineraryDefinition;
    itineraries(): Iterable<ItineraryDefinition>;
    /** A named schema of `schemas/`. */
    schema(name: string): Record<string, unknown> | undefined;
    queueOnRamps(): QueueBinding[];
  };
  /** Readiness: resolves true, or rejects with an ItineraError saying why not. */
  ready(): Promise<boolean>;
  metrics: { render(): string | Promise<string>; readonly contentType: string };
  resubmit(faultId: string, repair?: FaultRepairInput): Promise<{ messageId: string; correlationId: string; itinerary: string }>;
  activities: ActivityStore;
  /** Who did what on the operator endpoints. */
  audit: AuditStore;
  /** GET /live. */
  live(): Promise<LiveAnswer>;
  draw(name: string, version: string | undefined, format: GraphRouteFormat): { contentType: string; body: string | object };
}

/** The node-wide settings the built-in on-ramps share (their own live in `settings`). */
export interface NodeSettings {
  /** Where TCP-like on-ramps listen when their own host is unset (HOST). */
  host: string;
  /** Duplex options every duplex transport shares (heartbeat, TTL, frame and buffer sizes). */
  duplex: Partial<DuplexOptions>;
  /** Browser origins allowed to open a duplex WebSocket (ITINERA_ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
  /** Which peers' X-Forwarded-For names the client (ITINERA_TRUST_PROXY). */
  trustProxy: TrustFn;
  /** `operator`: /metrics needs an operator (ITINERA_METRICS_AUTH). */
  metricsAuth: 'open' | 'operator';
  /** Tries of a queue job before it becomes a fault (ITINERA_DELIVERY_ATTEMPTS). */
  deliveryAttempts: number;
  /** BullMQ deployments: the Redis where cross-node state of an on-ramp lives (dual-HTTP delivery leases); `url` may be a cluster's seeds. */
  redis?: { url: RedisEndpoint; prefix: string };
}

/**
 * The context the runtime gives every on-ramp of a node: the core parts (stores, gateway,
 * box, logger, HTTP) plus the node's identity, limits, settings and view. Built-in on-ramps
 * are typed against it; an application's own on-ramp may use the plain OnRampContext.
 */
export interface NodeOnRampContext extends OnRampContext {
  auth: Authenticator;
  /** On gateways; absent on a node without the gateway role. */
  limits?: OnRampLimits;
  node: NodeSettings;
  view: NodeView;
}

/** An on-ramp of the built-in list: it may use everything the node context holds. */
export type NodeOnRamp = OnRamp<NodeOnRampContext>;

/** The node's HTTP server and routes; an on-ramp that serves HTTP cannot run without them. */
export function httpOf(ctx: OnRampContext, onRamp: string): NonNullable<OnRampContext['http']> {
  if (!ctx.http) {
    throw new ItineraError(
      'ON_RAMP_NEEDS_HTTP',
      `the ${onRamp} on-ramp serves HTTP: run it on a gateway (a node with the gateway role), or leave it out of the on-ramps`,
    );
  }
  return ctx.http;
}
