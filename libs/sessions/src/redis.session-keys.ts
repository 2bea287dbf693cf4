import { RedisKeyspace } from '@itinera/core';

/** Buckets of the activity index on a cluster: enough that no one slot takes every touch. */
const INDEX_BUCKETS = 16;

/**
 * Key names of the Redis session store. Single Redis: `<prefix>:duplex:session:<id>` as
 * always. Cluster: `itinera:duplex:session:{<id>}`, so one session's keys share a slot
 * and sessions spread over the masters; each group and each index bucket has its own tag.
 */
export class SessionKeys {
  /** The activity index (what expireIdle scans): one key, or INDEX_BUCKETS on a cluster. */
  readonly indexes: string[];

  constructor(readonly space: RedisKeyspace) {
    this.indexes = space.buckets('duplex:sessions', INDEX_BUCKETS);
  }

  /** A cluster cannot run a script across slots: the index and groups are then written apart. */
  get spread(): boolean {
    return this.space.spread;
  }

  of(id: string) {
    const t = this.space.tag(id);
    return {
      session: this.space.key('duplex', 'session', t),
      outbox: this.space.key('duplex', 'outbox', t),
      state: this.space.key('duplex', 'state', t),
      joined: this.space.key('duplex', 'joined', t),
      dedupe: this.space.key('duplex', 'dedupe', t),
    };
  }

  index(id: string): string {
    return this.indexes.length === 1 ? this.indexes[0]! : this.indexes[RedisKeyspace.bucketOf(id, this.indexes.length)]!;
  }

  group(name: string): string {
    return this.space.key('duplex', 'group', this.space.tag(name));
  }

  /** Pub/sub channels are not keys: no tag needed, PUBLISH reaches every node of a cluster. */
  channel(id: string): string {
    return this.space.key('duplex', 'wake', id);
  }
}
