import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { ApiKeyStore, parseApiKeys, sha256 } from './api-keys';

const KEY = 'k-alice-0123456789abcdef';

describe('API keys', () => {
  it('maps a key to its named principal with scope: and role: permissions', () => {
    const store = ApiKeyStore.fromEntries([{ name: 'alice', key: KEY, scopes: ['orders.write'], roles: ['clerk'] }]);
    expect(store.lookup(KEY)).toEqual({ id: 'key:alice', kind: 'api-key', name: 'alice', permissions: ['scope:orders.write', 'role:clerk'] });
    expect(store.lookup(KEY + 'x')).toBeUndefined();
    expect(store.lookup('')).toBeUndefined();
  });

  it('accepts a stored sha256 instead of the key, so the file holds no secret', () => {
    const store = ApiKeyStore.fromEntries([{ name: 'bob', sha256: sha256(KEY).toString('hex'), scopes: [] }]);
    expect(store.lookup(KEY)?.id).toBe('key:bob');
  });

  it('reports every bad entry with the file and its JSON pointer', () => {
    let err: ItineraError | undefined;
    try {
      parseApiKeys(
        [
          { name: 'a', key: 'short', scopes: [] },
          { name: 'a', sha256: 'nothex', scopes: 'x' },
          { key: KEY, sha256: 'ab', scopes: [] },
          { name: 'c', key: KEY, scopes: [], extra: 1 },
        ],
        'keys.json',
      );
    } catch (e) {
      err = e as ItineraError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    const pointers = err!.details!.map((d) => d.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/0/key', '/1/name', '/1/sha256', '/1/scopes', '/2', '/2/name', '/3/extra']));
    expect(err!.message).toContain('keys.json: /0/key:');
    expect(() => parseApiKeys({ name: 'x' }, 'k.json')).toThrow(/k.json: \/: must be a JSON array/);
  });

  it('reloads the file when it changes: a removed entry is revoked, a broken file keeps the keys before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'itinera-keys-'));
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify([{ name: 'alice', key: KEY, scopes: [] }]));
    const store = ApiKeyStore.fromFile(file);
    expect(store.lookup(KEY)?.name).toBe('alice');
    expect(store.has('alice')).toBe(true);
    expect(store.has('bob')).toBe(false);
    const bump = (s: number) => utimesSync(file, new Date(), new Date(Date.now() + s * 1000));
    writeFileSync(file, '[ not json');
    bump(1);
    store.reloadIfChanged();
    expect(store.lookup(KEY)?.name).toBe('alice');
    writeFileSync(file, JSON.stringify([{ name: 'bob', key: KEY + 'b', scopes: [] }]));
    bump(2);
    store.reloadIfChanged();
    expect(store.lookup(KEY)).toBeUndefined();
    expect(store.has('alice')).toBe(false);
    expect(store.has('bob')).toBe(true);
    expect(store.lookup(KEY + 'b')?.name).toBe('bob');
    store.close();
  });

  it('a missing or invalid file at start is CONFIG_INVALID naming the file', () => {
    expect(() => ApiKeyStore.fromFile('/nonexistent/keys.json')).toThrow(/\/nonexistent\/keys.json/);
    const dir = mkdtempSync(join(tmpdir(), 'itinera-keys-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{');
    expect(() => ApiKeyStore.fromFile(file)).toThrow(/bad.json is not valid JSON/);
  });
});
