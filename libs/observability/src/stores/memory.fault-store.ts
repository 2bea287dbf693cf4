import { jsonCopy, type FaultRecord, type FaultStore } from '@itinera/core';
import { BoundedMap } from './bounded-map';
import { DEFAULT_FAULT_TTL_MS, DEFAULT_MAX_RECORDS } from './record-patch';
import { DEFAULT_FAULT_MAX_BYTES, capFault, overBudget } from './record-budget';

export interface MemoryFaultStoreOptions {
  /** Faults kept at most; the oldest go first (default 100 000). */
  maxFaults?: number;
  /** How long a fault is kept (default 30 days; 0 keeps it until evicted by the cap). */
  ttlMs?: number;
  /** Largest fault kept whole; past it the envelope's body (then context) becomes a marker (default 1 MiB). */
  maxFaultBytes?: number;
}

export class MemoryFaultStore implements FaultStore {
  private readonly faults: BoundedMap<FaultRecord>;
  private readonly ttlMs: number;
  private readonly maxFaultBytes: number;

  constructor(opts: MemoryFaultStoreOptions = {}) {
    this.faults = new BoundedMap(opts.maxFaults ?? DEFAULT_MAX_RECORDS);
    this.ttlMs = opts.ttlMs ?? DEFAULT_FAULT_TTL_MS;
    this.maxFaultBytes = opts.maxFaultBytes ?? DEFAULT_FAULT_MAX_BYTES;
  }

  async add(fault: FaultRecord): Promise<void> {
    const copy = jsonCopy(fault);
    this.faults.set(fault.id, overBudget(JSON.stringify(copy), this.maxFaultBytes) ? capFault(copy, this.maxFaultBytes) : copy, this.ttlMs);
  }

  async get(id: string): Promise<FaultRecord | undefined> {
    const fault = this.faults.get(id);
    return fault && jsonCopy(fault);
  }

  /** Newest first (by `at`). */
  async list(limit = 100): Promise<FaultRecord[]> {
    return this.faults
      .newestFirst()
      .sort((a, b) => atMs(b) - atMs(a))
      .slice(0, Math.max(0, limit))
      .map((f) => jsonCopy(f));
  }

  async remove(id: string): Promise<void> {
    this.faults.delete(id);
  }

  async close(): Promise<void> {}
}

export function atMs(fault: FaultRecord): number {
  const t = Date.parse(fault.at);
  return Number.isNaN(t) ? 0 : t;
}
