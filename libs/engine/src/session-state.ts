import type { SessionState, SessionStore } from '@itinera/core';

/**
 * Per-session state for one run: loaded once on first use, written back when a
 * step that changed it completes (so it survives a worker restart), discarded
 * when the step fails.
 */
export class SessionStateHandle implements SessionState {
  private loaded = false;
  private value: Record<string, unknown> = {};
  private dirty: Record<string, unknown> | undefined;

  constructor(
    readonly sessionId: string | undefined,
    private readonly store: SessionStore,
  ) {}

  async load(): Promise<void> {
    if (this.loaded || !this.sessionId) return;
    this.value = await this.store.getState(this.sessionId);
    this.loaded = true;
  }

  get(): Record<string, unknown> {
    return this.dirty ?? this.value;
  }

  set(next: Record<string, unknown>): void {
    this.dirty = next;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    const next = this.dirty;
    this.dirty = undefined;
    if (this.sessionId) await this.store.setState(this.sessionId, next);
    this.value = next;
  }

  discard(): void {
    this.dirty = undefined;
  }
}
