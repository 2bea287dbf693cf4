import { describe, expect, it } from 'vitest';
import { Schemas } from './schemas';

describe('Schemas', () => {
  const schemas = new Schemas({
    address: { type: 'object', required: ['city'], properties: { city: { type: 'string', minLength: 1 } } },
    order: {
      $id: 'https://example.test/order',
      type: 'object',
      required: ['productId', 'amount'],
      additionalProperties: false,
      properties: {
        productId: { type: 'integer' },
        amount: { type: 'integer', minimum: 1 },
        email: { type: 'string', format: 'email' },
        ship: { $ref: 'address' },
      },
    },
  });

  it('accepts valid data', () => {
    expect(schemas.validate('order', { productId: 1, amount: 2, ship: { city: 'Oslo' } })).toEqual([]);
  });

  it('reports every problem with a pointer into the data and a readable message', () => {
    const errors = schemas.validate('order', { productId: 'x', amount: 0, color: 'red', email: 'nope', ship: {} });
    expect(errors).toEqual(
      expect.arrayContaining([
        { pointer: '/productId', message: 'must be an integer, got a string' },
        { pointer: '/amount', message: 'must be >= 1, got 0' },
        { pointer: '/color', message: expect.stringMatching(/^unknown property "color": remove it.*allowed here: productId, amount, email, ship/) },
        { pointer: '/email', message: 'must be a valid email, got "nope"' },
        { pointer: '/ship', message: 'missing required property "city": add it' },
      ]),
    );
    expect(errors).toHaveLength(5);
  });

  it('validates against inline schemas, compiling each distinct one once', () => {
    const inline = { type: 'object', required: ['n'], properties: { n: { type: 'number' } } };
    expect(schemas.validate(inline, { n: 1 })).toEqual([]);
    expect(schemas.validate({ ...inline }, {})).toEqual([{ pointer: '', message: 'missing required property "n": add it' }]);
  });

  it('says when a schema is unknown or not a valid schema', () => {
    expect(schemas.has('order')).toBe(true);
    expect(() => schemas.validate('ordr', {})).toThrow(/no schema named "ordr" in schemas\/; known: address, order/);
    expect(schemas.check({ type: 'objekt' })).toMatch(/not a valid JSON Schema/);
    expect(schemas.check({ type: 'object', requird: ['a'] })).toMatch(/unknown keyword: "requird"/);
    expect(schemas.check('order')).toBeUndefined();
    const broken = new Schemas({ bad: { type: 12 } as never });
    expect(broken.check('bad')).toMatch(/schema "bad" is not a valid JSON Schema/);
  });
});
