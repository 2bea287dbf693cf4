import { REDACTED, isSecretName, redactSecrets, redactText, type BoundedBody, type Facts, type PolicyDefinition, type RuleTrace } from '@itinera/core';

/** Bytes of a body kept whole in a trace entry; past it, the first this many of its JSON. */
export const TRACE_BODY_MAX_BYTES = 16 * 1024;
/** A fact value larger than this (as JSON) shows as a marker in a rule's facts. */
const FACT_MAX_CHARS = 1024;

/** A body as a trace keeps it: secrets masked, whole up to the bound, else a JSON prefix marked truncated. */
export function boundedBody(body: unknown, max = TRACE_BODY_MAX_BYTES): BoundedBody {
  const masked = redactSecrets(body);
  const text = JSON.stringify(masked) ?? 'null';
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return { truncated: false, bytes, value: masked };
  // Cut on a character boundary at most `max` bytes in.
  return { truncated: true, bytes, text: Buffer.from(text).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '') };
}

type Condition = { all?: Condition[]; any?: Condition[]; not?: Condition; fact?: string; path?: string; value?: unknown };

/** `fact` + JSONPath `$.a.b[0]` → the name the console shows (`body.a.b[0]`) and the value read. */
function read(facts: Facts, fact: string, path: string | undefined): { name: string; key: string; value: unknown } {
  let value = (facts as unknown as Record<string, unknown>)[fact];
  let name = fact;
  let last = fact;
  if (path && path.startsWith('$')) {
    for (const part of path.slice(1).match(/\.[^.[\]]+|\[\d+\]|\['[^']*'\]/g) ?? []) {
      const key = part.startsWith('.') ? part.slice(1) : part.startsWith("['") ? part.slice(2, -2) : Number(part.slice(1, -1));
      name += typeof key === 'number' ? `[${key}]` : `.${key}`;
      if (typeof key === 'string') last = key;
      value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined;
    }
  }
  return { name, key: last, value };
}

/** A fact value as a rule trace shows it: masked, a marker past a size a rule is unlikely to compare, `null` when absent. */
function shown(value: unknown, key: string): unknown {
  if (value === undefined) return null;
  // Scalars (what conditions mostly compare) need no copy: masked by their name, and a
  // string by its text too (a URL's credentials, a `token=…` pair), as bodies are.
  if (value === null || typeof value !== 'object') {
    if (isSecretName(key)) return REDACTED;
    if (typeof value !== 'string') return value;
    return value.length > FACT_MAX_CHARS ? { truncated: true, bytes: Buffer.byteLength(value) } : redactText(value);
  }
  const masked = redactSecrets(value);
  const text = JSON.stringify(masked);
  return text !== undefined && text.length > FACT_MAX_CHARS ? { truncated: true, bytes: Buffer.byteLength(text) } : masked;
}

/** Each rule of the policy: fired or not, and the facts its conditions (and `{ fact }` values) read. */
export function explainRules(policy: PolicyDefinition, fired: readonly string[], facts: Facts): RuleTrace[] {
  const firedSet = new Set(fired);
  return policy.rules.map((rule) => {
    const seen: Record<string, unknown> = {};
    const walk = (c: Condition | undefined): void => {
      if (!c || typeof c !== 'object') return;
      c.all?.forEach(walk);
      c.any?.forEach(walk);
      walk(c.not);
      if (typeof c.fact === 'string') {
        const { name, key, value } = read(facts, c.fact, c.path);
        seen[name] = shown(value, key);
      }
      const ref = c.value as { fact?: unknown; path?: string } | undefined;
      if (ref && typeof ref === 'object' && typeof ref.fact === 'string') {
        const { name, key, value } = read(facts, ref.fact, ref.path);
        seen[name] = shown(value, key);
      }
    };
    walk(rule.conditions as Condition);
    return { rule: rule.name, fired: firedSet.has(rule.name), facts: seen };
  });
}
