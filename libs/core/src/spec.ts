import { ErrorDetail, joinPointer } from './errors';

/**
 * A config spec: declared once per step service and adapter, it validates
 * itinerary options at load time, parses adapter-provider strings, and
 * generates the reference docs.
 */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

export interface FieldSpec {
  type: FieldType;
  description: string;
  required?: boolean;
  default?: unknown;
  enum?: readonly (string | number)[];
  examples?: unknown[];
  minimum?: number;
  maximum?: number;
}

export type ConfigSpec = Record<string, FieldSpec>;

export interface SpecResult<T> {
  value: T;
  errors: ErrorDetail[];
}

function typeOk(type: FieldType, v: unknown): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
}

/** Coerce a string (from `key=value` config) to the declared type. */
function coerce(type: FieldType, raw: string): unknown {
  switch (type) {
    case 'number':
    case 'integer':
      // Left as the string when it is not a number, so the error shows what was written.
      return raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'object':
    case 'array':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

/**
 * Validate `input` against `spec`: unknown keys, missing required keys, wrong
 * types and values outside `enum`/range are errors naming the key. Defaults fill
 * what is missing. With `coerceStrings`, string values are converted to the
 * declared type (for ESB-style config strings).
 */
export function applySpec<T = Record<string, unknown>>(
  spec: ConfigSpec,
  input: Record<string, unknown> | undefined,
  opts: {
    pointer?: string;
    coerceStrings?: boolean;
    file?: string;
    what?: string;
    allowUnknown?: boolean;
    /** Skip the required check: the missing options come at run time (a rules or expression resolver). */
    partial?: boolean;
  } = {},
): SpecResult<T> {
  const base = opts.pointer ?? '';
  const errors: ErrorDetail[] = [];
  const out: Record<string, unknown> = {};
  const src = input ?? {};
  const at = (key: string) => base + joinPointer(key);
  const where = opts.what ? ` of ${opts.what}` : '';
  for (const key of Object.keys(src)) {
    if (!(key in spec) && !opts.allowUnknown) {
      const known = Object.keys(spec);
      errors.push({
        pointer: at(key),
        file: opts.file,
        message: `unknown option "${key}"${where}; known options: ${known.length ? known.join(', ') : '(none)'}`,
      });
    }
  }
  for (const [key, field] of Object.entries(spec)) {
    let v = src[key];
    if (v === undefined) {
      if (field.default !== undefined) out[key] = structuredClone(field.default);
      else if (field.required && !opts.partial)
        errors.push({ pointer: at(key), file: opts.file, message: `option "${key}"${where} is required: ${field.description}` });
      continue;
    }
    if (opts.coerceStrings && typeof v === 'string' && field.type !== 'string' && field.type !== 'any') v = coerce(field.type, v);
    if (!typeOk(field.type, v)) {
      errors.push({
        pointer: at(key),
        file: opts.file,
        message: `option "${key}"${where} must be ${field.type === 'integer' ? 'an integer' : `a ${field.type}`}, got ${JSON.stringify(v)}`,
      });
      continue;
    }
    if (field.enum && !field.enum.includes(v as string | number)) {
      errors.push({
        pointer: at(key),
        file: opts.file,
        message: `option "${key}"${where} must be one of ${field.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}`,
      });
      continue;
    }
    if (typeof v === 'number' && ((field.minimum !== undefined && v < field.minimum) || (field.maximum !== undefined && v > field.maximum))) {
      errors.push({
        pointer: at(key),
        file: opts.file,
        message: `option "${key}"${where} must be between ${field.minimum ?? '-∞'} and ${field.maximum ?? '∞'}, got ${v}`,
      });
      continue;
    }
    out[key] = v;
  }
  if (opts.allowUnknown) for (const k of Object.keys(src)) if (!(k in spec)) out[k] = src[k];
  return { value: out as T, errors };
}

/** Parse the ESB adapter-provider form `key=value&key=value` (values URL-decoded). */
export function parseConfigString(config: string, pointer = ''): SpecResult<Record<string, string>> {
  const value: Record<string, string> = {};
  const errors: ErrorDetail[] = [];
  for (const part of config.split('&')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      errors.push({ pointer, message: `malformed config entry "${part}": expected key=value` });
      continue;
    }
    const key = part.slice(0, eq).trim();
    try {
      value[key] = decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      errors.push({ pointer: pointer + joinPointer(key), message: `malformed value for "${key}": not valid URL encoding` });
    }
  }
  return { value, errors };
}

/** Markdown table of a spec, for the generated reference docs. */
export function specToMarkdown(spec: ConfigSpec): string {
  const rows = Object.entries(spec).map(([k, f]) => {
    const def = f.default === undefined ? (f.required ? '**required**' : '') : `\`${JSON.stringify(f.default)}\``;
    const ex = f.examples?.length ? ` Example: \`${JSON.stringify(f.examples[0])}\`.` : '';
    const en = f.enum ? ` One of ${f.enum.map((e) => `\`${e}\``).join(', ')}.` : '';
    return `| \`${k}\` | ${f.type} | ${def} | ${f.description}${en}${ex} |`;
  });
  if (rows.length === 0) return '_No options._\n';
  return ['| option | type | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
