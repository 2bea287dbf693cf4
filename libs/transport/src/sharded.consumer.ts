import type { Consumer } from '@itinera/core';

/** One `consume` on a sharded queue: a consumer per shard, started and closed together. */
export class ShardedConsumer implements Consumer {
  constructor(private readonly parts: readonly Consumer[]) {}

  async close(timeoutMs?: number): Promise<void> {
    await Promise.all(this.parts.map((c) => c.close(timeoutMs)));
  }
}
