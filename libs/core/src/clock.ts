let lastMs = 0;
let lastIso = '';

/** The current time as ISO 8601: one Date and one string per millisecond, however many callers ask within it. */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
