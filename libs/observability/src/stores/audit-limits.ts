/** Audit entries kept at most (ITINERA_AUDIT_MAX). */
export const DEFAULT_MAX_AUDIT = 100_000;
/** How long an audit entry is kept (ITINERA_AUDIT_RETENTION_MS): 90 days. */
export const DEFAULT_AUDIT_RETENTION_MS = 90 * 24 * 3600_000;
