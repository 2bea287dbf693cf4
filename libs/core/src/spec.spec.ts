import { describe, expect, it } from 'vitest';
import { applySpec, parseConfigString } from './spec';

describe('applySpec', () => {
  const spec = {
    method: { type: 'string', description: 'HTTP method', default: 'POST', enum: ['GET', 'POST', 'PUT'] },
    timeoutMs: { type: 'integer', description: 'timeout', default: 5000, minimum: 1 },
    url: { type: 'string', description: 'where', required: true },
  } as const;

  it('fills defaults and coerces strings', () => {
    const r = applySpec(spec, { url: 'x', timeoutMs: '2000' }, { coerceStrings: true });
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({ method: 'POST', timeoutMs: 2000, url: 'x' });
  });

  it('names the unknown, missing and bad keys', () => {
    const r = applySpec(spec, { methd: 'GET', timeoutMs: 'soon', method: 'PATCH' }, { coerceStrings: true, pointer: '/steps/0/options' });
    expect(r.errors.map((e) => e.pointer).sort()).toEqual(
      ['/steps/0/options/method', '/steps/0/options/methd', '/steps/0/options/timeoutMs', '/steps/0/options/url'].sort(),
    );
    expect(r.errors.find((e) => e.pointer.endsWith('methd'))?.message).toMatch(/unknown option "methd"/);
  });

  it('parses ESB config strings', () => {
    expect(parseConfigString('method=POST&timeoutMs=2000&x=a%20b').value).toEqual({ method: 'POST', timeoutMs: '2000', x: 'a b' });
    expect(parseConfigString('method').errors[0].message).toMatch(/key=value/);
  });
});
