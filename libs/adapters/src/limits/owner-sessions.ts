import type { RedisClient } from '@itinera/core';

/**
 * The sessions each owner (a principal or a client address) opened. Sessions that
 * ended or expired are not removed as they go: `prune` drops them when an owner
 * reaches its cap, which costs nothing for owners below it.
 */
export interface OwnerSessions {
  /**
   * Add `session` unless the owner would then hold more than `max`: one atomic step (add, count,
   * take back when over), so parallel requests cannot all see room for one more.
   */
  reserve(owner: string, session: string, max: number): Promise<boolean>;
  /** Replace `from` (a placeholder) by `to` in one step: the count never dips or doubles meanwhile. */
  swap(owner: string, from: string, to: string): Promise<void>;
  release(owner: string, session: string): Promise<void>;
  /** Keep only the sessions `alive` confirms; returns how many are left. */
  prune(owner: string, alive: (session: string) => Promise<boolean>): Promise<number>;
}

/** Live sessions checked at once while pruning (the store answers each). */
const PRUNE_BATCH = 100;

async function liveOf(ids: string[], alive: (session: string) => Promise<boolean>): Promise<{ live: string[]; gone: string[] }> {
  const live: string[] = [];
  const gone: string[] = [];
  for (let i = 0; i < ids.length; i += PRUNE_BATCH) {
    const part = ids.slice(i, i + PRUNE_BATCH);
    const flags = await Promise.all(part.map((id) => alive(id).catch(() => true)));
    part.forEach((id, j) => (flags[j] ? live : gone).push(id));
  }
  return { live, gone };
}

/** Owners remembered in memory; past it the longest-known one is forgotten (its sessions stop counting). */
const MAX_MEMORY_OWNERS = 100_000;

export class MemoryOwnerSessions implements OwnerSessions {
  private readonly byOwner = new Map<string, Set<string>>();

  // Synchronous between the add and the check: nothing else runs in between.
  reserve(owner: string, session: string, max: number): Promise<boolean> {
    let set = this.byOwner.get(owner);
    if (!set) {
      if (this.byOwner.size >= MAX_MEMORY_OWNERS) this.byOwner.delete(this.byOwner.keys().next().value!);
      this.byOwner.set(owner, (set = new Set()));
    }
    set.add(session);
    if (set.size <= max) return Promise.resolve(true);
    set.delete(session);
    return Promise.resolve(false);
  }

  swap(owner: string, from: string, to: string): Promise<void> {
    const set = this.byOwner.get(owner);
    if (set?.delete(from)) set.add(to);
    return Promise.resolve();
  }

  release(owner: string, session: string): Promise<void> {
    this.byOwner.get(owner)?.delete(session);
    return Promise.resolve();
  }

  async prune(owner: string, alive: (session: string) => Promise<boolean>): Promise<number> {
    const set = this.byOwner.get(owner);
    if (!set) return 0;
    const { gone } = await liveOf([...set], alive);
    for (const id of gone) set.delete(id);
    if (set.size === 0) this.byOwner.delete(owner);
    return set.size;
  }
}

/** SADD, SCARD and SREM when over the cap, in one script: Redis runs it without interleaving other commands. */
const RESERVE = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) > tonumber(ARGV[2]) then
  redis.call('SREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** One Redis SET per owner, shared by every gateway; it expires when the owner opens nothing for twice the session TTL. */
export class RedisOwnerSessions implements OwnerSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(owner: string): string {
    return `${this.prefix}:${owner}`;
  }

  async reserve(owner: string, session: string, max: number): Promise<boolean> {
    return (await this.redis.eval(RESERVE, 1, this.key(owner), session, max, this.ttlSeconds)) === 1;
  }

  async swap(owner: string, from: string, to: string): Promise<void> {
    const key = this.key(owner);
    // MULTI/EXEC: no other client sees the set between the two.
    await this.redis.multi().srem(key, from).sadd(key, to).expire(key, this.ttlSeconds).exec();
  }

  async release(owner: string, session: string): Promise<void> {
    await this.redis.srem(this.key(owner), session);
  }

  async prune(owner: string, alive: (session: string) => Promise<boolean>): Promise<number> {
    const key = this.key(owner);
    const { live, gone } = await liveOf(await this.redis.smembers(key), alive);
    if (gone.length) await this.redis.srem(key, ...gone);
    return live.length;
  }
}
