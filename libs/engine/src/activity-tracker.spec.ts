import { describe, expect, it } from 'vitest';
import type { ActivityStore, Envelope, Facts, MilestoneEvent, StepDefinition } from '@itinera/core';
import { ActivityTracker } from './activity-tracker';
import { Expressions } from './expressions';

const envelope = (): Envelope => ({
  id: 'm1',
  correlationId: 'c1',
  body: { order: { quantity: 3, customer: 42 } },
  headers: {},
  context: {},
  itinerary: { name: 'orders', version: '1.0.0', cursor: 2 },
  origin: { transport: 'http' },
  trace: [],
  createdAt: '2024-05-01T10:00:00.000Z',
});

const facts = (e: Envelope) => ({ body: e.body, headers: e.headers, context: e.context, state: {} }) as unknown as Facts;

function setup(store?: Partial<ActivityStore>) {
  const events: MilestoneEvent[] = [];
  const warnings: Array<{ obj: any; msg?: string }> = [];
  const logger = { warn: (obj: any, msg?: string) => warnings.push({ obj, msg }) } as any;
  const tracker = new ActivityTracker({
    store: { record: async (e: MilestoneEvent) => void events.push(e), ...store } as ActivityStore,
    expressions: new Expressions(),
    logger,
    now: () => '2024-05-01T10:00:01.000Z',
  });
  return { tracker, events, warnings };
}

describe('ActivityTracker', () => {
  it('records the milestone under the correlation id with the fields over the step facts and $decision', async () => {
    const { tracker, events } = setup();
    const step: StepDefinition = {
      id: 'decide',
      service: 'callback',
      track: { milestone: 'decided', fields: { amount: 'body.order.quantity', outcome: '$decision.params.action', list: '[1, 2]' } },
    };
    const e = envelope();
    await tracker.completed(e, step, facts(e), { type: 'rules', params: { action: 'OrderPurchased' } } as any);
    expect(events).toEqual([
      {
        correlationId: 'c1',
        itinerary: 'orders',
        milestone: 'decided',
        at: '2024-05-01T10:00:01.000Z',
        messageId: 'm1',
        fields: { amount: 3, outcome: 'OrderPurchased', list: [1, 2] },
      },
    ]);
  });

  it('records a failing or empty field as missing, with a warning, and never throws', async () => {
    const { tracker, events, warnings } = setup();
    const step: StepDefinition = {
      id: 's',
      service: 'reply',
      track: { milestone: 'ordered', fields: { bad: '$error("boom")', none: 'body.nope', ok: 'body.order.customer' } },
    };
    const e = envelope();
    await tracker.completed(e, step, facts(e));
    expect(events[0]).toMatchObject({ fields: { ok: 42 }, missing: ['bad', 'none'] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0].obj).toMatchObject({ field: 'bad', correlationId: 'c1', step: 's', milestone: 'ordered', error: { code: 'EXPRESSION_FAILED' } });
  });

  it('logs a store that cannot be reached and lets the message go on', async () => {
    const { tracker, warnings } = setup({
      record: async () => {
        throw new Error('redis down');
      },
    });
    const e = envelope();
    await expect(tracker.completed(e, { id: 's', service: 'reply', track: { milestone: 'ordered' } }, facts(e))).resolves.toBeUndefined();
    expect(warnings[0].msg).toContain('could not be recorded');
  });
});
