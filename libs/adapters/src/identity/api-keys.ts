import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ItineraError, joinPointer, silentLogger, type ErrorDetail, type Logger, type Principal } from '@itinera/core';

/** One entry of ITINERA_API_KEYS_FILE: `{ name, key | sha256, scopes, roles? }`. */
export interface ApiKeyEntry {
  name: string;
  /** The key in clear (hashed on load, never kept). */
  key?: string;
  /** Hex SHA-256 of the key: the file then holds no secret. */
  sha256?: string;
  scopes: string[];
  roles?: string[];
}

interface StoredKey {
  principal: Principal;
  digest: Buffer;
}

/** Shortest clear key accepted: a guessable key is no credential. */
export const MIN_API_KEY_LENGTH = 16;

const HEX64 = /^[0-9a-f]{64}$/i;

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `orders.write` → `scope:orders.write`; an entry already written `scope:x` / `role:x` stays as it is. */
export function permission(kind: 'scope' | 'role', name: string): string {
  return name.startsWith(`${kind}:`) ? name : `${kind}:${name}`;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0);

/**
 * Check and hash the entries of a keys document. Every problem is reported with
 * its JSON pointer, so a bad file names the entry to fix.
 */
export function parseApiKeys(doc: unknown, file: string): StoredKey[] {
  const errors: ErrorDetail[] = [];
  const add = (pointer: string, message: string) => errors.push({ file, pointer, message });
  if (!Array.isArray(doc)) {
    add('', 'must be a JSON array of { "name", "key" | "sha256", "scopes": [..], "roles"?: [..] }');
    throw invalid(file, errors);
  }
  const names = new Map<string, number>();
  const keys: StoredKey[] = [];
  doc.forEach((entry: unknown, i) => {
    const at = joinPointer(i);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return add(at, 'must be an object { "name", "key" | "sha256", "scopes" }');
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!['name', 'key', 'sha256', 'scopes', 'roles'].includes(k)) add(`${at}/${k}`, 'unknown field; allowed: name, key, sha256, scopes, roles');
    if (typeof e.name !== 'string' || !/^[A-Za-z0-9_.@-]{1,100}$/.test(e.name)) add(`${at}/name`, 'must be a name of letters, digits, _ . @ - (1 to 100)');
    else if (names.has(e.name)) add(`${at}/name`, `duplicate name "${e.name}" (also /${names.get(e.name)}/name): names identify keys in records and logs`);
    else names.set(e.name, i);
    if ((e.key === undefined) === (e.sha256 === undefined)) add(at, 'give exactly one of "key" (the key) or "sha256" (hex SHA-256 of the key)');
    if (e.key !== undefined && (typeof e.key !== 'string' || e.key.length < MIN_API_KEY_LENGTH))
      add(`${at}/key`, `must be a string of at least ${MIN_API_KEY_LENGTH} characters (e.g. openssl rand -hex 24)`);
    if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !HEX64.test(e.sha256)))
      add(`${at}/sha256`, 'must be 64 hex digits: the SHA-256 of the key (echo -n KEY | sha256sum)');
    if (!strings(e.scopes)) add(`${at}/scopes`, 'must be an array of scope names (may be empty), e.g. ["orders.write"]');
    if (e.roles !== undefined && !strings(e.roles)) add(`${at}/roles`, 'must be an array of role names, e.g. ["operator"]');
    if (errors.length) return;
    const name = e.name as string;
    keys.push({
      digest: typeof e.key === 'string' ? sha256(e.key) : Buffer.from(e.sha256 as string, 'hex'),
      principal: Object.freeze({
        id: `key:${name}`,
        kind: 'api-key',
        name,
        permissions: [
          ...(e.scopes as string[]).map((s) => permission('scope', s)),
          ...((e.roles as string[] | undefined) ?? []).map((r) => permission('role', r)),
        ],
      }) as Principal,
    });
  });
  if (errors.length) throw invalid(file, errors);
  return keys;
}

function invalid(file: string, errors: ErrorDetail[]): ItineraError {
  const lines = errors.map((e) => `${file}: ${e.pointer || '/'}: ${e.message}`).join('\n');
  return new ItineraError('CONFIG_INVALID', `ITINERA_API_KEYS_FILE is invalid:\n${lines}`, { details: errors });
}

export interface ApiKeyStoreOptions {
  /** Look for changes to the file this often (a removed key stops working then); 0: load once. */
  reloadMs?: number;
  logger?: Logger;
}

/**
 * API keys, kept as SHA-256 digests only and compared in constant time. Loaded from
 * a file that is read again when it changes: deleting an entry revokes that key
 * within `reloadMs`. A file that turns bad keeps the keys it had (logged).
 */
export class ApiKeyStore {
  private keys: StoredKey[] = [];
  private byDigest = new Map<string, StoredKey>();
  /** Names of the keys configured now: `has` runs on every session request. */
  private names = new Set<string>();
  private stamp = '';
  private timer?: NodeJS.Timeout;

  private constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Load `file` (throws CONFIG_INVALID naming the file and pointer) and watch it. */
  static fromFile(file: string, opts: ApiKeyStoreOptions = {}): ApiKeyStore {
    const store = new ApiKeyStore(file, opts.logger ?? silentLogger);
    store.load();
    if (opts.reloadMs && opts.reloadMs > 0) {
      store.timer = setInterval(() => store.reloadIfChanged(), opts.reloadMs);
      store.timer.unref();
    }
    return store;
  }

  /** Keys given directly (tests, embedding). */
  static fromEntries(entries: unknown, name = '(inline keys)'): ApiKeyStore {
    const store = new ApiKeyStore(name, silentLogger);
    store.use(parseApiKeys(entries, name));
    return store;
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The principal of a presented key, or undefined. Keys are found by their SHA-256 digest:
   * how long the lookup takes depends on the digest, never on how much of a stored key the
   * presented one matches, so timing leaks nothing usable (finding a key from it would need
   * a SHA-256 preimage). The match is confirmed with a constant-time compare.
   */
  lookup(key: string): Principal | undefined {
    const digest = sha256(key);
    const found = this.byDigest.get(digest.toString('hex'));
    return found && timingSafeEqual(found.digest, digest) ? found.principal : undefined;
  }

  /** Whether a key of this name is still configured (sessions opened with a revoked key stop working). */
  has(name: string): boolean {
    return this.names.has(name);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private fileStamp(): string {
    const s = statSync(this.file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  }

  private load(): void {
    let text: string;
    try {
      this.stamp = this.fileStamp();
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new ItineraError('CONFIG_INVALID', `ITINERA_API_KEYS_FILE: cannot read ${this.file} (${(err as Error).message}); fix the path`, {
        details: [{ file: this.file, pointer: '', message: 'cannot be read' }],
      });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ItineraError('CONFIG_INVALID', `ITINERA_API_KEYS_FILE: ${this.file} is not valid JSON (${(err as Error).message})`, {
        details: [{ file: this.file, pointer: '', message: 'is not valid JSON' }],
      });
    }
    this.use(parseApiKeys(doc, this.file));
  }

  private use(keys: StoredKey[]): void {
    this.keys = keys;
    this.byDigest = new Map(keys.map((k) => [k.digest.toString('hex'), k]));
    this.names = new Set(keys.map((k) => k.principal.name));
  }

  /** Polled: reload when the file's stamp changed. */
  reloadIfChanged(): void {
    let stamp: string;
    try {
      stamp = this.fileStamp();
    } catch (err) {
      this.logger.error({ file: this.file, err }, 'API keys file is gone; keeping the keys loaded before');
      return;
    }
    if (stamp === this.stamp) return;
    const before = this.keys.length;
    try {
      this.load();
      this.logger.info({ file: this.file, keys: this.keys.length, before }, 'API keys reloaded');
    } catch (err) {
      this.stamp = stamp;
      this.logger.error({ file: this.file, err: (err as Error).message }, 'API keys file is invalid; keeping the keys loaded before');
    }
  }
}
