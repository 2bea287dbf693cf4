import { describe, expect, it } from 'vitest';
import { ANONYMOUS, ItineraError, type ItineraryDefinition, type Principal } from '@itinera/core';
import { checkAccess } from './access';
import { validateItineraryDocument } from './document-schemas';
import { checkItinerary, type CheckContext } from './itinerary.check';

const def = (access?: ItineraryDefinition['access']): ItineraryDefinition => ({ name: 'orders', version: '1.0.0', steps: [], ...(access ? { access } : {}) });
const who = (...permissions: string[]): Principal => ({ id: 'key:alice', kind: 'api-key', name: 'alice', permissions });

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return (e as ItineraError).code;
  }
}

describe('itinerary access', () => {
  const orders = def({ CreateOrder: { anyOf: ['scope:orders.write', 'role:clerk'] }, Ping: { public: true }, '*': { anyOf: ['scope:orders.read'] } });

  it('no access declared: anyone, anonymous included', () => {
    expect(codeOf(() => checkAccess(def(), 'Anything', ANONYMOUS))).toBeUndefined();
    expect(codeOf(() => checkAccess(def(), undefined, undefined))).toBeUndefined();
  });

  it('any one listed permission lets the caller in', () => {
    expect(codeOf(() => checkAccess(orders, 'CreateOrder', who('scope:orders.write')))).toBeUndefined();
    expect(codeOf(() => checkAccess(orders, 'CreateOrder', who('role:clerk')))).toBeUndefined();
  });

  it('anonymous is 401, a principal without the permission 403 naming what is needed', () => {
    expect(codeOf(() => checkAccess(orders, 'CreateOrder', ANONYMOUS))).toBe('UNAUTHORIZED');
    expect(codeOf(() => checkAccess(orders, 'CreateOrder', undefined))).toBe('UNAUTHORIZED');
    let err: ItineraError | undefined;
    try {
      checkAccess(orders, 'CreateOrder', who('scope:orders.read'));
    } catch (e) {
      err = e as ItineraError;
    }
    expect(err?.code).toBe('FORBIDDEN');
    expect(err?.status).toBe(403);
    expect(err?.message).toContain('scope:orders.write, role:clerk');
    expect(err?.details?.[0].pointer).toBe('/action');
  });

  it('"*" is the default for other actions; public opens one; no entry and no default is refused', () => {
    expect(codeOf(() => checkAccess(orders, 'ListOrders', who('scope:orders.read')))).toBeUndefined();
    expect(codeOf(() => checkAccess(orders, 'ListOrders', who()))).toBe('FORBIDDEN');
    expect(codeOf(() => checkAccess(orders, 'Ping', ANONYMOUS))).toBeUndefined();
    const strict = def({ CreateOrder: { anyOf: ['scope:orders.write'] } });
    expect(codeOf(() => checkAccess(strict, 'Other', who('scope:orders.write')))).toBe('FORBIDDEN');
    expect(codeOf(() => checkAccess(strict, '__proto__', who('scope:orders.write')))).toBe('FORBIDDEN');
  });

  it('trusted principals (trusted queue producers, the admin token) pass', () => {
    expect(codeOf(() => checkAccess(orders, 'CreateOrder', { id: 'queue:q', kind: 'trusted', name: 'q', permissions: [] }))).toBeUndefined();
  });
});

describe('access in itinerary documents', () => {
  const doc = (access: unknown) => ({ name: 'orders', version: '1.0.0', actions: { CreateOrder: {} }, access, steps: [] });

  it('the schema names the pointer of a malformed permission or rule', () => {
    const errors = validateItineraryDocument(doc({ CreateOrder: { anyOf: ['orders.write'] }, '*': {} }), 'orders.json');
    const pointers = errors.map((e) => e.pointer);
    expect(pointers).toContain('/access/CreateOrder/anyOf/0');
    expect(pointers.some((p) => p.startsWith('/access/*'))).toBe(true);
    expect(errors.every((e) => e.file === 'orders.json')).toBe(true);
    expect(validateItineraryDocument(doc({ CreateOrder: { anyOf: ['scope:orders.write', 'role:clerk'] }, '*': { public: true } }), 'o.json')).toEqual([]);
  });

  it('an access entry for an action the itinerary does not declare is an error at load, with a suggestion', () => {
    const errors = checkItinerary(doc({ CreateOrdr: { anyOf: ['scope:x'] } }), 'orders.json', {} as CheckContext);
    expect(errors).toEqual([
      expect.objectContaining({ file: 'orders.json', pointer: '/access/CreateOrdr', message: expect.stringContaining('did you mean "CreateOrder"') }),
    ]);
  });
});
