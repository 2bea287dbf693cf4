import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Authenticator } from './authenticator';
import { loadOperatorTokens, parseOperatorTokens } from './operator-tokens';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789ab';
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('named operator tokens', () => {
  it('parse name=token and name=sha256:<hex>, and name the operator that presents one', async () => {
    const tokens = parseOperatorTokens(`alice=${ALICE}, bob=sha256:${hex(BOB)}`, { variable: 'ITINERA_OPERATOR_TOKENS' });
    expect(tokens.map((t) => t.name)).toEqual(['alice', 'bob']);
    const auth = new Authenticator({ mode: 'none', adminToken: 'admin-token-0123456789', operatorTokens: tokens });
    expect(auth.operatorByToken(ALICE)).toMatchObject({ id: 'operator:alice', name: 'alice', permissions: ['role:operator'] });
    expect(auth.operatorByToken(BOB)?.name).toBe('bob');
    expect(auth.operatorByToken('admin-token-0123456789')?.name).toBe('admin');
    expect(auth.operatorByToken('someone-else-0123456789')).toBeUndefined();
    expect(auth.isAdminToken(BOB)).toBe(true);
    expect((await auth.authenticate({ bearer: ALICE })).name).toBe('alice');
    // Operator tokens alone close the operator endpoints, as the admin token does.
    expect(new Authenticator({ mode: 'none', operatorTokens: tokens }).operatorEndpointsOpen).toBe(false);
    expect(new Authenticator({ mode: 'none' }).operatorEndpointsOpen).toBe(true);
  });

  it('leave itinerary access rules to apply to named tokens; only the admin token is trusted', async () => {
    const tokens = parseOperatorTokens(`alice=${ALICE}`, { variable: 'ITINERA_OPERATOR_TOKENS' });
    const auth = new Authenticator({ mode: 'none', adminToken: 'admin-token-0123456789', operatorTokens: tokens });
    expect((await auth.authenticate({ bearer: ALICE })).kind).not.toBe('trusted');
    expect((await auth.authenticate({ bearer: 'admin-token-0123456789' })).kind).toBe('trusted');
  });

  it('refuses an operator named admin: that name is the admin token in the audit trail', () => {
    expect(() => parseOperatorTokens(`admin=${ALICE}`, { variable: 'ITINERA_OPERATOR_TOKENS' })).toThrow(/another name/);
  });

  it('refuses bad entries with CONFIG_INVALID naming each one', () => {
    const bad = () => parseOperatorTokens('alice=short,alice=another-long-token-0000,=x,bob=sha256:abc', { variable: 'ITINERA_OPERATOR_TOKENS' });
    expect(bad).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    try {
      bad();
    } catch (err) {
      expect((err as { details: { pointer: string }[] }).details.map((d) => d.pointer)).toEqual([
        '/ITINERA_OPERATOR_TOKENS/0',
        '/ITINERA_OPERATOR_TOKENS/1',
        '/ITINERA_OPERATOR_TOKENS/2',
        '/ITINERA_OPERATOR_TOKENS/3',
      ]);
    }
  });

  it('reads a file of name=token lines with comments, and refuses a name given twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'itinera-operators-'));
    const file = join(dir, 'operators');
    writeFileSync(file, `# on-call\ncarol=${ALICE}\n\ndave=sha256:${hex(BOB)}  # rotated\n`);
    expect(loadOperatorTokens({ file }).map((t) => t.name)).toEqual(['carol', 'dave']);
    expect(() => loadOperatorTokens({ tokens: `carol=${BOB}`, file })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => loadOperatorTokens({ file: join(dir, 'missing') })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
