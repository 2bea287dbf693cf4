import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '@itinera/engine';
import { ALL_STEPS } from '@itinera/steps';
import { ALL_ADAPTERS } from '@itinera/adapters';

const INVALID = join(__dirname, '..', 'fixtures', 'invalid');
// With the real step specs: `reply` may run after publication (a reply to a waiting caller), so that case is valid here.
const VALID_WITH_REAL_SERVICES = new Set(['stage-not-allowed']);

describe('the invalid fixtures against the real step services and adapters', () => {
  for (const name of readdirSync(INVALID).filter((n) => !VALID_WITH_REAL_SERVICES.has(n))) {
    it(`${name}: refused, every line naming a file and a JSON pointer`, async () => {
      const { registry, errors } = await loadRegistry(join(INVALID, name), { services: ALL_STEPS, adapters: ALL_ADAPTERS, invokables: ['order-number'] });
      expect(registry === undefined || errors.length > 0).toBe(true);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e.file).toMatch(new RegExp(`invalid/${name}/`));
        expect(e.pointer).toMatch(/^(\/.*)?$/);
        expect(e.message.length).toBeGreaterThan(10);
      }
    });
  }

  it('the samples are valid with the real services', async () => {
    const { errors } = await loadRegistry(join(__dirname, '..', '..', 'itineraries'), {
      services: ALL_STEPS,
      adapters: ALL_ADAPTERS,
      invokables: ['order-number'],
    });
    expect(errors).toEqual([]);
  });
});
