import { describe, expect, it } from 'vitest';
import { validatePolicyDocument } from './document-schemas';
import { checkPolicy } from './policy.check';

const policy = (conditions: unknown, over: Record<string, unknown> = {}) => ({
  name: 'p',
  version: '1.0.0',
  rules: [{ name: 'r', conditions, params: {} }],
  ...over,
});
const leaf = (operator: string, value: unknown, extra: Record<string, unknown> = {}) => ({ all: [{ fact: 'body', path: '$.n', operator, value, ...extra }] });

describe('checkPolicy: what strict types make a policy mistake', () => {
  it('an ordering operator with a non-number value, "in" without an array: the value pointer and the fix', () => {
    expect(checkPolicy(policy(leaf('greaterThan', '10')), 'p.json')).toEqual([
      {
        file: 'p.json',
        pointer: '/rules/0/conditions/all/0/value',
        message: expect.stringMatching(/"greaterThan" compares numbers, but the value is a string: write a number/),
      },
    ]);
    expect(checkPolicy(policy(leaf('in', 'a,b')), 'p.json')[0]).toMatchObject({
      pointer: '/rules/0/conditions/all/0/value',
      message: expect.stringMatching(/"in" needs an array/),
    });
  });

  it('accepts numbers, arrays, fact references, and numeric strings under coercion', () => {
    expect(checkPolicy(policy(leaf('lessThan', 10)), 'p.json')).toEqual([]);
    expect(checkPolicy(policy(leaf('notIn', ['a'])), 'p.json')).toEqual([]);
    expect(checkPolicy(policy(leaf('greaterThan', { fact: 'context', path: '$.limit' })), 'p.json')).toEqual([]);
    expect(checkPolicy(policy(leaf('greaterThan', '10'), { coerce: true }), 'p.json')).toEqual([]);
  });

  it('the schema takes "missing" per policy and per condition, "error" or "false" only', () => {
    expect(validatePolicyDocument(policy(leaf('equal', 1, { missing: 'false' }), { missing: 'error', coerce: false }), 'p.json')).toEqual([]);
    expect(validatePolicyDocument(policy(leaf('equal', 1), { missing: 'ignore' }), 'p.json')[0]).toMatchObject({ pointer: '/missing' });
    expect(validatePolicyDocument(policy(leaf('equal', 1, { missing: false })), 'p.json')[0]).toMatchObject({ pointer: '/rules/0/conditions/all/0/missing' });
  });
});
