import { describe, expect, it } from 'vitest';
import { ItineraError } from '@itinera/core';
import { loadConfig } from './config';
import { checkProductionConfig } from './production-check';

const GATEWAY = { gateway: true, worker: false };
const WORKER = { gateway: false, worker: true };
const BUS = { gateway: true, worker: true };

const SAFE = {
  NODE_ENV: 'production',
  ITINERA_ADMIN_TOKEN: 'a-long-random-operator-secret',
  ITINERA_ALLOWED_ORIGINS: 'https://app.example.com',
  ITINERA_SEND_ALLOWLIST: 'https://orders.example.com/',
};

/** The settings the check names for this environment, or [] when the node may start. */
function refused(env: Record<string, string>, roles = BUS): string[] {
  try {
    checkProductionConfig(loadConfig(env as NodeJS.ProcessEnv), roles);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ItineraError);
    const e = err as ItineraError;
    expect(e.code).toBe('INSECURE_PRODUCTION_CONFIG');
    const names = e.details!.map((d) => d.pointer.slice(1));
    // The message names each setting on its own line, with what to set.
    for (const n of names) expect(e.message).toMatch(new RegExp(`^${n}: .+(set|write) `, 'm'));
    return names;
  }
}

describe('production checks (NODE_ENV=production)', () => {
  it('outside production nothing is checked: the defaults start', () => {
    expect(refused({})).toEqual([]);
    expect(refused({ NODE_ENV: 'development' })).toEqual([]);
    expect(refused({ NODE_ENV: 'test' })).toEqual([]);
  });

  it('the defaults in production: a bus names all three settings in one error', () => {
    expect(refused({ NODE_ENV: 'production' })).toEqual(['ITINERA_ADMIN_TOKEN', 'ITINERA_ALLOWED_ORIGINS', 'ITINERA_SEND_ALLOWLIST']);
  });

  it('each setting alone is named alone', () => {
    const { ITINERA_ADMIN_TOKEN: _a, ...noToken } = SAFE;
    const { ITINERA_ALLOWED_ORIGINS: _o, ...noOrigins } = SAFE;
    const { ITINERA_SEND_ALLOWLIST: _s, ...noAllowList } = SAFE;
    expect(refused(noToken)).toEqual(['ITINERA_ADMIN_TOKEN']);
    expect(refused(noOrigins)).toEqual(['ITINERA_ALLOWED_ORIGINS']);
    expect(refused(noAllowList)).toEqual(['ITINERA_SEND_ALLOWLIST']);
    expect(refused(SAFE)).toEqual([]);
  });

  it('operator credentials instead of the admin token: ITINERA_AUTH=required closes the operator endpoints', () => {
    const { ITINERA_ADMIN_TOKEN: _a, ...rest } = SAFE;
    expect(refused({ ...rest, ITINERA_AUTH: 'required', ITINERA_JWT_PUBLIC_KEY: '{}', ITINERA_JWT_ISSUER: 'i', ITINERA_JWT_AUDIENCE: 'a' })).toEqual([]);
    // API keys with auth off do not: callers without a key are still let in, operator endpoints included.
    expect(refused({ ...rest, ITINERA_API_KEYS_FILE: '/etc/itinera/keys.json' })).toEqual(['ITINERA_ADMIN_TOKEN']);
  });

  it('named operator tokens close the operator endpoints as the admin token does', () => {
    const { ITINERA_ADMIN_TOKEN: _a, ...rest } = SAFE;
    expect(refused({ ...rest, ITINERA_OPERATOR_TOKENS: 'alice=a-long-random-operator-secret' })).toEqual([]);
    expect(refused({ ...rest, ITINERA_OPERATOR_TOKENS_FILE: '/etc/itinera/operators' })).toEqual([]);
  });

  it('written-out opt-ins let the defaults start', () => {
    const optIns = { NODE_ENV: 'production', ITINERA_OPEN_OPERATOR_ENDPOINTS: 'true', ITINERA_ALLOWED_ORIGINS: '*', ITINERA_SEND_ALLOWLIST: '*' };
    expect(refused(optIns)).toEqual([]);
    expect(refused({ ...optIns, ITINERA_OPEN_OPERATOR_ENDPOINTS: 'false' })).toEqual(['ITINERA_ADMIN_TOKEN']);
  });

  it('"*" stands alone: mixed with entries it is a configuration error', () => {
    expect(() => loadConfig({ ITINERA_ALLOWED_ORIGINS: '*,https://app.example.com' } as NodeJS.ProcessEnv)).toThrow(/ITINERA_ALLOWED_ORIGINS: is "\*" \(any\) or a list/);
    expect(() => loadConfig({ ITINERA_SEND_ALLOWLIST: 'https://a.example.com/,*' } as NodeJS.ProcessEnv)).toThrow(/ITINERA_SEND_ALLOWLIST: is "\*" \(any\) or a list/);
  });

  it('a worker needs only what it uses: the send allow-list', () => {
    expect(refused({ NODE_ENV: 'production' }, WORKER)).toEqual(['ITINERA_SEND_ALLOWLIST']);
    expect(refused({ NODE_ENV: 'production', ITINERA_SEND_ALLOWLIST: '*' }, WORKER)).toEqual([]);
  });

  it('a gateway checks all three (it runs receive-stage steps, which may send)', () => {
    expect(refused({ NODE_ENV: 'production' }, GATEWAY)).toEqual(['ITINERA_ADMIN_TOKEN', 'ITINERA_ALLOWED_ORIGINS', 'ITINERA_SEND_ALLOWLIST']);
    expect(refused(SAFE, GATEWAY)).toEqual([]);
  });
});
