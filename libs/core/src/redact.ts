/**
 * Credentials in addresses must never reach an error, a record, a fault or a log
 * line: `https://user:pw@host/x?apikey=s&q=1` shows as `https://***@host/x?apikey=***&q=1`.
 * Only the secret parts are masked, so the address stays recognisable.
 */

export const REDACTED = '***';

/** Query parameter names (lower-case, without `-` and `_`) whose values are secrets. */
const SECRET_NAMES = new Set([
  'apikey',
  'key',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'auth',
  'authorization',
  'proxyauthorization',
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'pwd',
  'pass',
  'sig',
  'signature',
  'credential',
  'credentials',
  'sessiontoken',
  'xamzsignature',
  'xamzcredential',
  'xamzsecuritytoken',
]);
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'apikey', 'signature'];

// Names repeat (the same context keys and params on every message): each is judged once. Bounded, so hostile names cannot grow it.
const secretNameMemo = new Map<string, boolean>();

/** Whether a query parameter (or header, field) of this name carries a secret; case and `-`/`_` do not matter. */
export function isSecretName(name: string): boolean {
  let known = secretNameMemo.get(name);
  if (known === undefined) {
    known = judgeName(name);
    if (secretNameMemo.size >= 2048) secretNameMemo.clear();
    secretNameMemo.set(name, known);
  }
  return known;
}

function judgeName(name: string): boolean {
  let n: string;
  try {
    n = decodeURIComponent(name);
  } catch {
    n = name;
  }
  n = n.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

// A URL inside free text: scheme, "://", then up to whitespace or a quote/bracket that ends it.
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
// Userinfo is everything up to the last "@" before the path, query or fragment.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** One address with its userinfo and secret query parameter values masked; anything else is kept as written. */
export function redactUrl(url: string): string {
  let out = url.replace(USERINFO, (_, scheme: string) => `${scheme}${REDACTED}@`);
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const end = hash < 0 ? out.length : hash;
  const query = out
    .slice(q + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && isSecretName(name) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  out = `${out.slice(0, q + 1)}${query}${out.slice(end)}`;
  return out;
}

// The ESB config string form `key=value&key=value` (endpoint configs in trace decisions).
const CONFIG_STRING = /^[A-Za-z0-9_.-]+=[^&]*(?:&[A-Za-z0-9_.-]+=[^&]*)*$/;

// `name=value` inside free text (a quoted config, an expression, a header dump); the value ends at a separator or quote.
const PAIR_IN_TEXT = /(^|[^A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=([^&\s"'<>`,;]*)/g;

/**
 * Free text (an error message, a log line) with every URL in it redacted, a whole `key=value&…`
 * string's secret values, and any other `secretName=value` in it (the bare `key` only in the first two).
 */
export function redactText(text: string): string {
  const url = text.includes('://');
  if (!url && !text.includes('=')) return text;
  // Addresses and configs repeat message after message: short ones are masked once. Bounded like the name memo.
  const memo = text.length <= 512;
  const known = memo ? textMemo.get(text) : undefined;
  if (known !== undefined) return known;
  const out = maskText(text, url);
  if (memo) {
    if (textMemo.size >= 1024) textMemo.clear();
    textMemo.set(text, out);
  }
  return out;
}

const textMemo = new Map<string, string>();

function maskText(text: string, url: boolean): string {
  let out = text;
  if (url) out = text.replace(URL_IN_TEXT, (u) => redactUrl(u));
  else if (CONFIG_STRING.test(text)) out = redactUrl(`x://?${text}`).slice(5);
  if (out.includes('=')) {
    out = out.replace(PAIR_IN_TEXT, (m, pre: string, name: string, value: string) =>
      value !== '' && value !== REDACTED && isSecretField(name) ? `${pre}${name}=${REDACTED}` : m,
    );
  }
  return out === text ? text : out;
}

/** An object field whose value is a secret (`password`, `apiKey`, `authorization`, …); the bare `key` is too common to mask. */
function isSecretField(name: string): boolean {
  return name.toLowerCase() !== 'key' && isSecretName(name);
}

// Objects their maker already redacted and will not change (trace decisions): the log formatter does not walk them again.
const alreadyRedacted = new WeakSet<object>();
// Redactions of frozen values: the registry deep-freezes itineraries and policies, so a
// policy's params redact the same way every time and are walked once, not per message.
const frozenRedactions = new WeakMap<object, unknown>();

/** Mark a value `redactSecrets` returned as final: later `redactSecrets` calls return it as is. Do not change it afterwards. */
export function markRedacted<T>(value: T): T {
  if (value !== null && typeof value === 'object') alreadyRedacted.add(value);
  return value;
}

/**
 * A JSON-like value with every string redacted by `redactText`. Copy on write:
 * the value itself is returned when nothing needed masking (the common case costs a walk).
 * Only plain objects and arrays are walked; depth is bounded. Frozen values (deep-frozen
 * registry definitions) are redacted once per object; values passed to `markRedacted` are not walked.
 */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (alreadyRedacted.has(value)) return value;
  if (Object.isFrozen(value)) {
    const known = frozenRedactions.get(value);
    if (known !== undefined) return known as T;
    const r = walk(value, depth);
    frozenRedactions.set(value, r);
    return r;
  }
  return walk(value, depth);
}

function walk<T>(value: T & object, depth: number): T {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const r = redactSecrets(v, depth + 1);
      if (r !== v) (copy ??= value.slice())[i] = r;
    }
    return (copy ?? value) as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    // A placeholder (${env:NAME}) is not the secret itself: kept, it says where the value comes from.
    const r = typeof v === 'string' && v !== '' && !v.startsWith('${env:') && isSecretField(k) ? REDACTED : redactSecrets(v, depth + 1);
    if (r !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = r;
  }
  return (copy ?? value) as T;
}
