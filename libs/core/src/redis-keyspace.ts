/**
 * Every Redis key of the bus is named here, so the key layout of one deployment is
 * decided in one place.
 *
 * Single Redis (and Sentinel): keys keep the configured prefix, hash tag and all
 * (`{itinera}:duplex:session:<id>`), as they always were, so an upgrade finds its data.
 *
 * Redis Cluster: the prefix loses its braces (`itinera`) and each entity gets its own
 * hash tag: `itinera:duplex:session:{<id>}`. All keys of one session, one message
 * record, one fault, one queue share a slot (their scripts and transactions stay
 * single-slot), and different entities spread over every master, so adding shards
 * adds capacity.
 */
export class RedisKeyspace {
  /** The first part of every key: the prefix as configured (single) or without braces (cluster). */
  readonly base: string;

  constructor(
    /** The configured prefix (ITINERA_REDIS_PREFIX), e.g. `{itinera}`. */
    readonly prefix: string,
    /** Spread keys over slots (Redis Cluster); false keeps the single-slot layout. */
    readonly spread = false,
  ) {
    this.base = spread ? prefix.replace(/[{}]/g, '') || 'itinera' : prefix;
  }

  /** `id` as the hash tag of its keys (cluster), or as is (single). */
  tag(id: string): string {
    return this.spread ? `{${encodeTag(id)}}` : id;
  }

  /** `<base>:<part>:…`; parts made with `tag` decide the slot. */
  key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }

  /**
   * BullMQ's prefix for one queue: BullMQ needs every key of a queue in one slot, so
   * on a cluster the queue's name is the tag (`itinera:{orders.p3}`); single Redis
   * keeps the shared prefix.
   */
  queuePrefix(queue: string): string {
    return this.spread ? `${this.base}:{${encodeTag(queue)}}` : this.prefix;
  }

  /**
   * Keys of a bounded index spread over `buckets` tags, so no one slot takes every
   * write. Single Redis: one key, the name it always had.
   */
  buckets(name: string, buckets: number): string[] {
    if (!this.spread) return [this.key(name)];
    return Array.from({ length: buckets }, (_, i) => this.key(name, `{${name}.${i}}`));
  }

  /** Which of `buckets` an id's index entry goes to (FNV-1a, the same in every process). */
  static bucketOf(id: string, buckets: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) {
      h ^= id.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return (h >>> 0) % buckets;
  }
}

/** A tag ends at the first `}`: braces (and `%`, so the encoding stays unique) are escaped. */
function encodeTag(id: string): string {
  return /[{}%]/.test(id) ? id.replace(/%/g, '%25').replace(/\{/g, '%7B').replace(/\}/g, '%7D') : id;
}
