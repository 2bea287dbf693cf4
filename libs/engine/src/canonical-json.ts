/**
 * JSON with every object's keys in one order (arrays keep theirs), so two bodies that
 * differ only in key order have one text and one Idempotency-Key hash. The order is the
 * one JSON.stringify gives an object whose keys were added sorted: integer-like keys
 * ascending, then the others sorted.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value)) ?? 'null';
}

/**
 * `value` with its objects' keys sorted, copying only the objects (and their parents)
 * that are not in order already: a body that already is costs a walk, no copy, and
 * the native JSON.stringify. Recursive: bodies reach here after the depth check.
 */
function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const s = sortedKeys(value[i]);
      if (s !== value[i]) (copy ??= value.slice())[i] = s;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let inOrder = true;
  for (let i = 1; i < keys.length && inOrder; i++) inOrder = keys[i - 1] < keys[i];
  if (!inOrder) keys.sort();
  // Copies have no prototype: a "__proto__" key (an own property after JSON.parse) stays a plain key.
  let copy: Record<string, unknown> | undefined = inOrder ? undefined : Object.create(null);
  for (let i = 0; i < keys.length; i++) {
    const v = obj[keys[i]];
    const s = sortedKeys(v);
    if (!copy && s !== v) {
      copy = Object.create(null) as Record<string, unknown>;
      for (let j = 0; j < i; j++) copy[keys[j]] = obj[keys[j]];
    }
    if (copy) copy[keys[i]] = s;
  }
  return copy ?? obj;
}
