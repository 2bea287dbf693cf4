import { Cluster } from 'ioredis';
import { jsonCopy, type Logger, type OutboxFrame, type RedisClient } from '@itinera/core';

type Listener = (frame?: OutboxFrame) => void;

/**
 * One subscriber connection per store (per process) for every session wake-up.
 * A node subscribes only to the channels of the sessions it holds, so a push
 * reaches the one node that cares instead of every node.
 *
 * Wake-ups are hints, as with a condition variable: listeners are also woken once
 * when their subscription becomes active and after a reconnect, because a push in
 * between sent no message. A woken listener re-reads `pending`.
 */
export class RedisWakeHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private connectedOnce = false;

  constructor(
    private readonly subscriber: RedisClient,
    private readonly channelOf: (id: string) => string,
    private readonly logger: Logger,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    subscriber.on('ready', () => {
      // Pushes made while the subscriber was down sent no wake-up: wake everyone once,
      // after the PING's reply, which follows the replies of ioredis's re-SUBSCRIBE.
      if (this.connectedOnce) {
        this.subscriber.ping().then(
          () => this.wakeAll(),
          () => this.wakeAll(),
        );
      }
      this.connectedOnce = true;
    });
    if (subscriber instanceof Cluster) {
      // A cluster moves its subscription to another node when one fails, without a new
      // 'ready': wake everyone once it has had time to resubscribe, and once more later.
      subscriber.on('-node', () => {
        for (const ms of [1000, 3000]) setTimeout(() => this.wakeAll(), ms).unref();
      });
    }
  }

  subscribe(id: string, listener: Listener): () => void {
    const channel = this.channelOf(id);
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set()));
      const added = set;
      // Queued while offline; ioredis re-subscribes after a reconnect.
      this.subscriber.subscribe(channel).then(
        () => {
          // A push between subscribe() and now sent no wake-up to this node.
          if (this.listeners.get(channel) === added) this.wakeSet(added, channel);
        },
        (err: Error) => this.logger.warn({ err: err.message, session: id }, 'wake-up subscribe failed'),
      );
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      if (this.subscriber.status === 'end') return;
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  clear(): void {
    this.listeners.clear();
  }

  private dispatch(channel: string, message: string): void {
    const set = this.listeners.get(channel);
    if (!set) return;
    // A push's wake-up carries its frame (JSON); others ('end', reconnects) carry none.
    let frame: OutboxFrame | undefined;
    if (message.startsWith('{')) {
      try {
        frame = JSON.parse(message) as OutboxFrame;
      } catch {
        frame = undefined;
      }
    }
    this.wakeSet(set, channel, frame);
  }

  private wakeAll(): void {
    for (const [channel, set] of this.listeners) this.wakeSet(set, channel);
  }

  private wakeSet(set: Set<Listener>, channel: string, frame?: OutboxFrame): void {
    // Each listener gets its own copy: it may keep the frame.
    for (const listener of [...set]) this.call(listener, channel, frame && set.size > 1 ? jsonCopy(frame) : frame);
  }

  private call(listener: Listener, channel: string, frame?: OutboxFrame): void {
    try {
      listener(frame);
    } catch (err) {
      this.logger.warn({ err, channel }, 'session wake-up listener threw');
    }
  }
}
