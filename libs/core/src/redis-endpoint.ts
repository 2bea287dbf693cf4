import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ItineraError } from './errors';

/** One Redis node's address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** A Redis Cluster reached through any of its `nodes` (REDIS_CLUSTER_NODES). */
export interface RedisClusterEndpoint {
  clusterNodes: RedisNode[];
  /** Options of each node connection (password, TLS…). */
  redisOptions?: RedisOptions;
}

/**
 * Where Redis is: a `redis://…` URL, ioredis options (Sentinel is `{ sentinels, name }`),
 * or a cluster's seed nodes.
 */
export type RedisEndpoint = string | RedisOptions | RedisClusterEndpoint;

/** A connection to a single Redis or to a cluster: the commands the bus uses are the same. */
export type RedisClient = Redis | Cluster;

export function isClusterEndpoint(endpoint: RedisEndpoint | undefined): endpoint is RedisClusterEndpoint {
  return typeof endpoint === 'object' && endpoint !== null && 'clusterNodes' in endpoint;
}

export function isRedisClient(value: unknown): value is RedisClient {
  return value instanceof Redis || value instanceof Cluster;
}

/**
 * How long a command on a cluster may wait out a failover (a master's replica taking
 * over: cluster-node-timeout plus an election). Clusters with a longer cluster-node-timeout
 * than about 3 s fail the commands of a failover instead (TRANSPORT_UNAVAILABLE, retried or faulted).
 */
export const CLUSTER_FAILOVER_WAIT_MS = 6000;

/**
 * Open a connection to `endpoint` with `options` (offline queue, retries, timeouts: what
 * the caller needs). On a cluster the per-command options go to each node, and the
 * cluster follows MOVED/ASK and failovers itself: it refreshes its slot map when a
 * node goes away, and retries a command refused while the cluster is down.
 */
export function openRedis(endpoint: RedisEndpoint, options: RedisOptions = {}): RedisClient {
  if (typeof endpoint === 'string') return new Redis(endpoint, options);
  if (!isClusterEndpoint(endpoint)) return new Redis({ ...endpoint, ...options });
  const { enableOfflineQueue, retryStrategy, connectionName, lazyConnect, ...perNode } = options;
  // A command to a master that just died waits for its replica to take over, then goes
  // there: a fail-fast timeout would turn every failover into errors.
  if (perNode.commandTimeout !== undefined) perNode.commandTimeout = Math.max(perNode.commandTimeout, CLUSTER_FAILOVER_WAIT_MS);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...endpoint.redisOptions, ...perNode, connectionName },
    enableReadyCheck: true,
    lazyConnect,
    enableOfflineQueue: enableOfflineQueue ?? true,
    // A failover takes cluster-node-timeout plus an election: retry for about that long.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 32,
    slotsRefreshTimeout: 2000,
    slotsRefreshInterval: 5000,
    clusterRetryStrategy: retryStrategy ?? ((times) => Math.min(100 * times, 2000)),
  };
  return new Cluster(endpoint.clusterNodes, clusterOptions);
}

/** `host:port,host:port` (REDIS_CLUSTER_NODES, REDIS_SENTINELS) as nodes; CONFIG_INVALID names a bad entry. */
export function parseRedisNodes(text: string, variable: string): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) {
      throw new ItineraError('CONFIG_INVALID', `${variable}: "${entry}" is not host:port; give comma-separated seeds, e.g. 10.0.0.1:7000,10.0.0.2:7000.`, {
        details: [{ pointer: `/${variable}`, message: `"${entry}" is not host:port` }],
      });
    }
    nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/** A description of the endpoint safe for logs and error messages (no password). */
export function describeRedis(endpoint: RedisEndpoint): string {
  if (typeof endpoint === 'string') return `Redis at ${endpoint.replace(/\/\/([^@/]*)@/, '//***@')}`;
  if (isClusterEndpoint(endpoint)) return `the Redis Cluster at ${endpoint.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (endpoint.sentinels) return `the Redis Sentinel master "${endpoint.name ?? 'mymaster'}"`;
  return `Redis at ${endpoint.host ?? '127.0.0.1'}:${endpoint.port ?? 6379}`;
}

/** Wait until `client` is ready; reject after `timeoutMs` or when it ends. */
export function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end') return Promise.reject(new Error('the connection is closed'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`not connected after ${timeoutMs} ms (${client.status})`)), timeoutMs);
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}
