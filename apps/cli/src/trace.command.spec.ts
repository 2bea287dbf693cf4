import { describe, expect, it } from 'vitest';
import { describeDecision } from './trace.command';

describe('describeDecision: the trace table marks how a rules policy decided', () => {
  it('stars the winning rule among those that fired', () => {
    expect(
      describeDecision({ type: 'rules', source: 'order-decision@1.0.0', fired: ['huge', 'big'], winner: 'huge', params: { action: 'OrderCanceled' } }),
    ).toBe('rules order-decision@1.0.0 [huge*, big] {"action":"OrderCanceled"}');
  });

  it('says "defaults" when no rule fired', () => {
    expect(describeDecision({ type: 'rules', source: 'order-decision@1.0.0', fired: [], defaults: true, params: { action: 'OrderPurchased' } })).toBe(
      'rules order-decision@1.0.0 defaults {"action":"OrderPurchased"}',
    );
  });

  it('merge mode has no single winner: the fired rules, unmarked', () => {
    expect(describeDecision({ type: 'rules', source: 'p@2.0.0', fired: ['a', 'b'], params: {} })).toBe('rules p@2.0.0 [a, b]');
  });
});
