import type { CallbackFrame, FaultFrame, OutboxFrame } from './frames';

export type CallbackHandler<Body = any, Action extends string = string> = (body: Body, frame: CallbackFrame<Body, Action>) => void | Promise<void>;
/** A fault handler gets the frame's `error` (`code`, `message`, `step?`), then the frame. */
export type FaultHandler = (error: FaultFrame['error'], frame: FaultFrame) => void | Promise<void>;

/** The callback actions of a contract (`{ Result: { result: number } }` → `'Result'`). */
export type CallbackAction<Callbacks> = Extract<keyof Callbacks, string>;

/** Any callback of the contract, told apart by `action` (switching on it narrows `body`). */
export type ContractCallbackFrame<Callbacks> = { [A in CallbackAction<Callbacks>]: CallbackFrame<Callbacks[A], A> }[CallbackAction<Callbacks>];

/** What implements a callback contract: one handler per callback action, as a WCF callback interface. */
export type CallbackHandlers<Callbacks> = { [A in CallbackAction<Callbacks>]: CallbackHandler<Callbacks[A], A> };

/** What `bind()` takes: any object for an untyped client, else every handler of the contract. */
export type BindTarget<Callbacks> = string extends keyof Callbacks ? object : CallbackHandlers<Callbacks>;

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
