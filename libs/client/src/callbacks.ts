import type { CallbackFrame, FaultFrame, OutboxFrame } from './frames';

export type CallbackHandler = (body: any, frame: CallbackFrame) => void | Promise<void>;
export type FaultHandler = (error: FaultFrame['error'], frame: FaultFrame) => void | Promise<void>;

/** The client's callback contract: handlers by action, catch-all handlers, fault handlers. */
export class CallbackRegistry {
  private readonly byAction = new Map<string, Set<CallbackHandler>>();
  private readonly any = new Set<CallbackHandler>();
  private readonly faults = new Set<FaultHandler>();

  on(action: string, handler: CallbackHandler): () => void {
    let set = this.byAction.get(action);
    if (!set) this.byAction.set(action, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  onCallback(handler: CallbackHandler): () => void {
    this.any.add(handler);
    return () => this.any.delete(handler);
  }

  onFault(handler: FaultHandler): () => void {
    this.faults.add(handler);
    return () => this.faults.delete(handler);
  }

  /** Each method of `contract` (own or inherited) handles the callback action of its name. */
  bind(contract: object): () => void {
    const names = new Set<string>();
    for (let o: object | null = contract; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const k of Object.getOwnPropertyNames(o)) {
        if (k !== 'constructor' && typeof (contract as Record<string, unknown>)[k] === 'function') names.add(k);
      }
    }
    const offs = [...names].map((n) => this.on(n, (body, frame) => (contract as Record<string, CallbackHandler>)[n]!.call(contract, body, frame)));
    return () => offs.forEach((off) => off());
  }

  /** Run the handlers of one frame, in registration order (the first error stops the rest and is thrown). */
  async dispatch(f: OutboxFrame): Promise<void> {
    if (f.type === 'callback') {
      for (const h of [...(this.byAction.get(f.action) ?? []), ...this.any]) await h(f.body, f);
    } else {
      for (const h of [...this.faults]) await h(f.error, f);
    }
  }
}
