import { describe, expect, it } from 'vitest';
import { checkTrack } from './activity-tracker.check';
import { validateItineraryDocument } from './document-schemas';

const check = (track: unknown) => {
  const errors: Array<{ pointer: string; message: string }> = [];
  checkTrack(track, '/steps/2/track', (pointer, message) => errors.push({ pointer, message }));
  return errors;
};

describe('load-time checks of a step track', () => {
  it('accept a milestone with fields that compile', () => {
    expect(check({ milestone: 'ordered', fields: { amount: 'body.order.quantity', outcome: '$decision.params.action' } })).toEqual([]);
    expect(check({ milestone: 'payment-received_2' })).toEqual([]);
  });

  it('point at a bad milestone name, a bad field name and a field that does not compile', () => {
    const errors = check({ milestone: '9 lives', fields: { 'bad-name': 'body.x', amount: 'body.order.(' } });
    expect(errors.map((e) => e.pointer)).toEqual(['/steps/2/track/milestone', '/steps/2/track/fields/bad-name', '/steps/2/track/fields/amount']);
    expect(errors[0].message).toContain('"9 lives" is not a milestone name');
    expect(errors[1].message).toContain('"bad-name" is not a field name');
    expect(errors[2].message).toMatch(/JSONata syntax error at position \d+/);
  });

  it('escape a field name in its JSON pointer', () => {
    expect(check({ milestone: 'm', fields: { 'a/b': 'x' } })[0].pointer).toBe('/steps/2/track/fields/a~1b');
  });

  it('cap the fields of one step', () => {
    const fields = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, 'body']));
    expect(check({ milestone: 'm', fields }).map((e) => e.pointer)).toEqual(['/steps/2/track/fields']);
  });

  it('leave the shape to the JSON Schema: a track without milestone, or with unknown keys, is refused there', () => {
    const doc = (track: unknown) => ({ name: 'x', version: '1.0.0', steps: [{ id: 's', service: 'reply', track }] });
    expect(validateItineraryDocument(doc({ milestone: 'm', fields: { a: 'body' } }), 'x.json')).toEqual([]);
    const missing = validateItineraryDocument(doc({ fields: {} }), 'x.json');
    expect(missing.map((e) => e.pointer)).toContain('/steps/0/track');
    const extra = validateItineraryDocument(doc({ milestone: 'm', extra: 1 }), 'x.json');
    expect(extra.length).toBeGreaterThan(0);
    const notString = validateItineraryDocument(doc({ milestone: 'm', fields: { a: 3 } }), 'x.json');
    expect(notString.map((e) => e.pointer)).toContain('/steps/0/track/fields/a');
  });
});
