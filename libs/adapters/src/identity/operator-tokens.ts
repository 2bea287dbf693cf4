import { readFileSync } from 'node:fs';
import { ItineraError, OPERATOR_PERMISSION, type ErrorDetail, type Principal } from '@itinera/core';
import { MIN_API_KEY_LENGTH, sha256 } from './api-keys';

/** One named operator token, kept as its SHA-256 only. */
export interface OperatorToken {
  name: string;
  digest: Buffer;
}

const NAME = /^[A-Za-z0-9_.@-]{1,100}$/;
const HEX64 = /^[0-9a-f]{64}$/i;

/**
 * The principal of an operator token: audit entries name it. A named token carries the
 * operator permission only, so itinerary access rules still apply to what it publishes;
 * `trusted` (past every access rule) stays the admin token's alone.
 */
export function operatorTokenPrincipal(name: string, kind: 'api-key' | 'trusted' = 'api-key'): Principal {
  return Object.freeze({ id: `operator:${name}`, kind, name, permissions: [OPERATOR_PERMISSION] }) as Principal;
}

/** The admin token's operator name: a named token may not take it, or the audit trail could not tell them apart. */
export const ADMIN_OPERATOR_NAME = 'admin';

/**
 * `alice=<token>,bob=sha256:<hex>` (ITINERA_OPERATOR_TOKENS), or the same one per line in
 * a file (ITINERA_OPERATOR_TOKENS_FILE; `#` starts a comment). A token is given in clear
 * (at least 16 characters) or as the hex SHA-256 of it, so the setting need hold no secret.
 * Every problem is reported with where it is: the variable or file and the entry's position.
 */
export function parseOperatorTokens(text: string, source: { variable: string; file?: string }): OperatorToken[] {
  const errors: ErrorDetail[] = [];
  const out: OperatorToken[] = [];
  const seen = new Set<string>();
  const entries = source.file ? text.split('\n').map((l) => l.replace(/#.*$/, '')) : text.split(',');
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    if (!entry) return;
    const at = source.file ? `/${i}` : `/${source.variable}/${i}`;
    const add = (message: string) => errors.push({ pointer: at, message, ...(source.file ? { file: source.file } : {}) });
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq).trim() : '';
    const token = eq > 0 ? entry.slice(eq + 1).trim() : '';
    if (!NAME.test(name)) return add('must be name=token, the name of letters, digits, _ . @ - (1 to 100)');
    if (name === ADMIN_OPERATOR_NAME) return add(`"${ADMIN_OPERATOR_NAME}" names ITINERA_ADMIN_TOKEN in the audit trail: give this operator another name`);
    if (seen.has(name)) return add(`duplicate operator name "${name}": names identify operators in the audit trail`);
    seen.add(name);
    if (token.startsWith('sha256:')) {
      const hex = token.slice(7);
      if (!HEX64.test(hex)) return add('after sha256: give 64 hex digits, the SHA-256 of the token (echo -n TOKEN | sha256sum)');
      out.push({ name, digest: Buffer.from(hex, 'hex') });
      return;
    }
    if (token.length < MIN_API_KEY_LENGTH) return add(`the token of "${name}" must be at least ${MIN_API_KEY_LENGTH} characters (e.g. openssl rand -hex 24)`);
    out.push({ name, digest: sha256(token) });
  });
  if (errors.length) {
    const where = source.file ?? source.variable;
    throw new ItineraError('CONFIG_INVALID', `${where}: ${errors.map((e) => `${e.pointer}: ${e.message}`).join('; ')}`, { details: errors });
  }
  return out;
}

/** The tokens of ITINERA_OPERATOR_TOKENS and ITINERA_OPERATOR_TOKENS_FILE together (a name given twice is refused). */
export function loadOperatorTokens(settings: { tokens?: string; file?: string }): OperatorToken[] {
  const fromEnv = settings.tokens ? parseOperatorTokens(settings.tokens, { variable: 'ITINERA_OPERATOR_TOKENS' }) : [];
  let text = '';
  if (settings.file) {
    try {
      text = readFileSync(settings.file, 'utf8');
    } catch (err) {
      throw new ItineraError('CONFIG_INVALID', `ITINERA_OPERATOR_TOKENS_FILE: cannot read ${settings.file} (${(err as Error).message}); fix the path or unset it`, {
        details: [{ pointer: '/ITINERA_OPERATOR_TOKENS_FILE', message: 'cannot be read' }],
      });
    }
  }
  const fromFile = settings.file ? parseOperatorTokens(text, { variable: 'ITINERA_OPERATOR_TOKENS_FILE', file: settings.file }) : [];
  const names = new Set(fromEnv.map((t) => t.name));
  const twice = fromFile.find((t) => names.has(t.name));
  if (twice)
    throw new ItineraError('CONFIG_INVALID', `operator "${twice.name}" is named in both ITINERA_OPERATOR_TOKENS and ITINERA_OPERATOR_TOKENS_FILE; keep one`, {
      details: [{ pointer: '/ITINERA_OPERATOR_TOKENS_FILE', message: `duplicate name "${twice.name}"` }],
    });
  return [...fromEnv, ...fromFile];
}
