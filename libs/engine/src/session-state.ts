import type { SessionState, SessionStore } from '@itinera/core';

/** Reserved state key: the ids of the last steps whose write landed. Hidden from maps and rules. */
const APPLIED = '$applied';
const APPLIED_WINDOW = 32;

/**
 * Per-session state for one run: loaded once on first use, written back when a
 * step that changed it completes (so it survives a worker restart), discarded
 * when the step fails.
 */
export class SessionStateHandle implements SessionState {
  private loaded = false;
  private value: Record<string, unknown> = {};
  private pending: Record<string, unknown> | undefined;
  /** Step ids whose state write landed (stored with the state, so a redelivery skips them). */
  private applied: string[] = [];

  /** The whole stored state: every itinerary's slice. */
  private whole: Record<string, unknown> = {};

  /**
   * @param scope the itinerary name: each itinerary has its own state in a session, as
   * each WCF service has its own PerSession instance (the calculator's Clear does not
   * reset the chat's registration).
   */
  constructor(
    readonly sessionId: string | undefined,
    private readonly store: SessionStore,
    private readonly scope: string,
  ) {}

  async load(): Promise<void> {
    if (this.loaded || !this.sessionId) return;
    this.whole = await this.store.getState(this.sessionId);
    const slice = this.whole[this.scope];
    const { [APPLIED]: applied, ...value } = slice && typeof slice === 'object' ? (slice as Record<string, unknown>) : {};
    this.value = value;
    this.applied = Array.isArray(applied) ? (applied as string[]) : [];
    this.loaded = true;
  }

  get(): Record<string, unknown> {
    return this.pending ?? this.value;
  }

  set(next: Record<string, unknown>): void {
    this.pending = next;
  }

  /** A step changed the state and it is not written yet. */
  get dirty(): boolean {
    return this.pending !== undefined;
  }

  /** Whether step `stepId` already wrote this state (the message is being redelivered). */
  wasApplied(stepId: string): boolean {
    return this.applied.includes(stepId);
  }

  /** Write the state a step changed, marked with the step's id, in the same write. */
  async flush(stepId: string): Promise<void> {
    if (!this.pending) return;
    const next = this.pending;
    this.pending = undefined;
    const applied = [...this.applied.slice(-(APPLIED_WINDOW - 1)), stepId];
    if (this.sessionId) {
      this.whole = { ...this.whole, [this.scope]: { ...next, [APPLIED]: applied } };
      await this.store.setState(this.sessionId, this.whole);
    }
    this.value = next;
    this.applied = applied;
  }

  discard(): void {
    this.pending = undefined;
  }
}
