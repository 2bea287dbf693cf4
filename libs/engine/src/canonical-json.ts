/**
 * JSON with every object's keys in sorted order (arrays keep theirs), so two bodies
 * that differ only in key order have one text and one Idempotency-Key hash.
 * Recursive: bodies reach here only after the depth check (MAX_BODY_DEPTH).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return out + ']';
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    // As JSON.stringify: a property holding undefined (possible on queue jobs' in-process bodies) is left out.
    if (v === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(v);
    first = false;
  }
  return out + '}';
}
