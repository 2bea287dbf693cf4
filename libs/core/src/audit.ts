import type { Page } from './records';

/** One operator action (resubmit, delete, bulk) and who took it. */
export interface AuditRecord {
  /** ISO time of the action. */
  at: string;
  /** Who: the operator token's name, the API key's name or the JWT's subject. */
  operator: string;
  /** `fault.resubmit`, `fault.delete`, `fault.bulk-resubmit`, `fault.bulk-delete`. */
  action: string;
  /** What it acted on (a fault id, or the number of faults of a bulk action). */
  target: string;
  /** The action's particulars (repair fields given, resulting message id, outcome). */
  detail?: Record<string, unknown>;
}

/** The operators' audit trail: bounded by count and retention, newest first. */
export interface AuditStore {
  record(entry: AuditRecord): Promise<void>;
  list(query: { limit: number; cursor?: string }): Promise<Page<AuditRecord>>;
  close(): Promise<void>;
}
