import { describe, expect, it } from 'vitest';
import { ALL_STEPS } from './all-steps';

describe('ALL_STEPS', () => {
  it('registers each service once', () => {
    const names = ALL_STEPS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(['callback', 'delay', 'fault', 'invoke', 'reply', 'route', 'send', 'session', 'transform', 'validate']);
  });

  it('documents every service and every option (description and example)', () => {
    for (const service of ALL_STEPS) {
      expect(service.summary.length, service.name).toBeGreaterThan(40);
      for (const [key, field] of Object.entries(service.spec)) {
        expect(field.description, `${service.name}.${key}`).toBeTruthy();
        expect(field.examples?.length, `${service.name}.${key}`).toBeGreaterThan(0);
      }
    }
  });
});
