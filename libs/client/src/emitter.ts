/** A tiny typed event emitter (no Node `events`, so the client runs in browsers). */
export class Emitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, fn: (payload: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (payload: never) => void);
    return () => set!.delete(fn as (payload: never) => void);
  }

  /** Listener errors are reported through `onError`, never thrown into the emitter's caller. */
  emit<K extends keyof Events>(event: K, payload: Events[K], onError?: (err: unknown) => void): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (p: Events[K]) => void)(payload);
      } catch (err) {
        onError?.(err);
      }
    }
  }

  /** The next `event`; rejects with `onTimeout()` after `timeoutMs`. */
  next<K extends keyof Events>(event: K, timeoutMs: number, onTimeout: () => Error): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(onTimeout());
      }, timeoutMs);
      const off = this.on(event, (p) => {
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }

  count<K extends keyof Events>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
