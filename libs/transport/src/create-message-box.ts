import { describeRedis, silentLogger, type Logger, type MessageBox, type RedisEndpoint } from '@itinera/core';
import { BullMqMessageBox, type BullMqMessageBoxOptions } from './bullmq.box';
import { checkMaxmemoryPolicy } from './maxmemory-policy';
import { MemoryMessageBox } from './memory.box';
import { eachMaster, whenReady } from './redis-connections';
import { invalidOption, transportUnavailable } from './transport-errors';

export interface CreateMessageBoxOptions {
  transport: 'memory' | 'bullmq';
  /** Required for `bullmq`, e.g. `redis://127.0.0.1:6379`. */
  redisUrl?: string;
  /** Instead of `redisUrl`: any endpoint, e.g. a Redis Cluster's seed nodes. */
  redis?: RedisEndpoint;
  prefix?: string;
  logger?: Logger;
  /** For `bullmq`: also run `checkMaxmemoryPolicy` at start (default false: callers usually check once themselves). */
  checkEvictionPolicy?: boolean;
  /** With `checkEvictionPolicy`: accept another policy with a warning. */
  allowEviction?: boolean;
  /** For `bullmq`: how long to wait for Redis at start (default 5 000 ms). */
  connectTimeoutMs?: number;
  /** Further BullMQ box options (retention, worker tuning). */
  bullmq?: Omit<BullMqMessageBoxOptions, 'connection' | 'prefix' | 'logger'>;
}

/**
 * The message box the configuration asks for. For `bullmq` it waits for Redis (a
 * Redis that is not there stops start-up with TRANSPORT_UNAVAILABLE) and, when asked,
 * checks its eviction policy.
 */
export async function createMessageBox(opts: CreateMessageBoxOptions): Promise<MessageBox> {
  const logger = opts.logger ?? silentLogger;
  if (opts.transport === 'memory') return new MemoryMessageBox({ logger });
  if (opts.transport !== 'bullmq') {
    throw invalidOption(`Unknown transport "${String(opts.transport)}": use "memory" or "bullmq".`);
  }
  const endpoint = opts.redis ?? opts.redisUrl;
  if (!endpoint) {
    throw invalidOption('The bullmq transport needs Redis: set REDIS_URL (for example redis://127.0.0.1:6379) or REDIS_CLUSTER_NODES.');
  }
  const box = new BullMqMessageBox({ ...opts.bullmq, connection: endpoint, prefix: opts.prefix, logger });
  try {
    await whenReady(box.redis, opts.connectTimeoutMs ?? 5000).catch((err) => {
      throw transportUnavailable(err, describeRedis(endpoint));
    });
    if (opts.checkEvictionPolicy) await eachMaster(box.redis, (node) => checkMaxmemoryPolicy(node, { logger, allowOtherPolicy: opts.allowEviction }));
  } catch (err) {
    await box.close();
    throw err;
  }
  return box;
}
