import type { Redis } from 'ioredis';

/**
 * The sessions each owner (a principal or a client address) opened. Sessions that
 * ended or expired are not removed as they go: `prune` drops them when an owner
 * reaches its cap, which costs nothing for owners below it.
 */
export interface OwnerSessions {
  count(owner: string): Promise<number>;
  add(owner: string, session: string): Promise<void>;
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

  count(owner: string): Promise<number> {
    return Promise.resolve(this.byOwner.get(owner)?.size ?? 0);
  }

  add(owner: string, session: string): Promise<void> {
    let set = this.byOwner.get(owner);
    if (!set) {
      if (this.byOwner.size >= MAX_MEMORY_OWNERS) this.byOwner.delete(this.byOwner.keys().next().value!);
      this.byOwner.set(owner, (set = new Set()));
    }
    set.add(session);
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

/** One Redis SET per owner, shared by every gateway; it expires when the owner opens nothing for twice the session TTL. */
export class RedisOwnerSessions implements OwnerSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(owner: string): string {
    return `${this.prefix}:${owner}`;
  }

  count(owner: string): Promise<number> {
    return this.redis.scard(this.key(owner));
  }

  async add(owner: string, session: string): Promise<void> {
    const key = this.key(owner);
    await this.redis.multi().sadd(key, session).expire(key, this.ttlSeconds).exec();
  }

  async prune(owner: string, alive: (session: string) => Promise<boolean>): Promise<number> {
    const key = this.key(owner);
    const { live, gone } = await liveOf(await this.redis.smembers(key), alive);
    if (gone.length) await this.redis.srem(key, ...gone);
    return live.length;
  }
}
