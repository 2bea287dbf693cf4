import type { ErrorObject } from 'ajv';
import { ErrorDetail, pointerToken } from '@itinera/core';

/**
 * Turns ajv's errors (compiled with `allErrors` and `verbose`) into
 * `ErrorDetail`s a person can act on: one line per problem, with the JSON
 * pointer into the data and a message that says what is expected.
 */
export function readableSchemaErrors(errors: readonly ErrorObject[] | null | undefined, opts: { file?: string; pointer?: string } = {}): ErrorDetail[] {
  if (!errors?.length) return [];
  const base = opts.pointer ?? '';
  const dropped = new Set<ErrorObject>();
  const collapsed = new Map<ErrorObject, string>();

  for (const e of errors) {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const branches = (e.schema as unknown[]) ?? [];
    const required = branches.map((b) => requiredOnly(b));
    if (required.every((r) => r !== undefined)) {
      // "one of these properties" alternatives: one message instead of one per branch.
      collapsed.set(e, `must have one of ${required.map((r) => `"${r}"`).join(', ')}`);
      for (const s of errors) if (s !== e && s.keyword === 'required' && s.schemaPath.startsWith(e.schemaPath + '/')) dropped.add(s);
    } else if (errors.some((s) => s !== e && s.schemaPath.startsWith(e.schemaPath + '/'))) {
      // The branch errors say more than "must match a schema in anyOf".
      dropped.add(e);
    }
  }

  const out: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (dropped.has(e) || e.keyword === 'if' || e.keyword === 'propertyNames') continue;
    let pointer = base + e.instancePath;
    const message = collapsed.get(e) ?? describe(e);
    if (e.keyword === 'additionalProperties') pointer += '/' + pointerToken(String((e.params as { additionalProperty: string }).additionalProperty));
    // A bad property name (propertyNames): point at the property itself.
    const propertyName = (e as { propertyName?: string }).propertyName;
    if (propertyName !== undefined) pointer += '/' + pointerToken(propertyName);
    const key = `${pointer}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...(opts.file ? { file: opts.file } : {}), pointer, message });
  }
  return out;
}

function requiredOnly(branch: unknown): string | undefined {
  if (!branch || typeof branch !== 'object') return undefined;
  const keys = Object.keys(branch);
  const req = (branch as { required?: unknown }).required;
  return keys.length === 1 && Array.isArray(req) && req.length === 1 ? String(req[0]) : undefined;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function article(t: string): string {
  return t === 'null' ? 'null' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function shown(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required property "${p.missingProperty}": add it`;
    case 'additionalProperties': {
      const allowed = Object.keys((parent.properties as object) ?? {});
      const hint = allowed.length ? `; allowed here: ${allowed.join(', ')}` : '';
      return `unknown property "${p.additionalProperty}": remove it or fix its spelling${hint}`;
    }
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return `must be ${types.map(article).join(' or ')}, got ${typeName(e.data)}`;
    }
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(shown).join(', ')}, got ${shown(e.data)}`;
    case 'const':
      return `must be ${shown(p.allowedValue)}, got ${shown(e.data)}`;
    case 'pattern': {
      const custom = parent.patternErrorMessage;
      return `${typeof custom === 'string' ? custom : `must match the pattern ${p.pattern}`}, got ${shown(e.data)}`;
    }
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters long`;
    case 'maxLength':
      return `must be at most ${p.limit} characters long`;
    case 'minItems':
      return `must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${p.limit} items`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${e.message}, got ${shown(e.data)}`;
    case 'format':
      return `must be a valid ${p.format}, got ${shown(e.data)}`;
    case 'uniqueItems':
      return `must not contain duplicates (items ${p.j} and ${p.i} are equal)`;
    case 'anyOf':
    case 'oneOf':
      return e.keyword === 'oneOf' && Array.isArray(p.passingSchemas)
        ? 'must match exactly one of the allowed forms, but matches several'
        : 'must match one of the allowed forms';
    default:
      return e.message ?? `fails the "${e.keyword}" rule`;
  }
}
