import { describe, expect, it } from 'vitest';
import { layoutGraph, type ItineraryGraph } from './graph-model';
import { badge, rulesOf, traceByStep, type TraceEntry } from './trace-overlay';

const step = (id: string, index: number, stage: 'receive' | 'send', details: string[] = []) => ({ id, kind: 'step' as const, index, stage, details });
const GRAPH: ItineraryGraph = {
  name: 'g',
  version: '1.0.0',
  actions: [],
  onRamps: ['http'],
  nodes: [
    { id: ':on-ramp', kind: 'entry', title: 'on-ramp', details: ['http'] },
    step('a', 0, 'receive', ['validate · static']),
    step('b', 1, 'send', ['route · rules p@1.0.0', 'when x > 1']),
    step('c', 2, 'send'),
    { id: ':end', kind: 'end', title: 'end', details: [] },
    { id: 'itinerary:next', kind: 'itinerary', title: 'next', details: ['itinerary'] },
  ],
  edges: [
    { from: ':on-ramp', to: 'a', kind: 'next' },
    { from: 'a', to: 'b', kind: 'next' },
    { from: 'b', to: 'c', kind: 'next' },
    { from: 'c', to: ':end', kind: 'next' },
    { from: 'b', to: 'itinerary:next', kind: 'itinerary', label: 'queue q' },
  ],
  stages: [
    { stage: 'receive', steps: ['a'] },
    { stage: 'send', steps: ['b', 'c'] },
  ],
  publication: { after: 'a', before: 'b' },
};

const entry = (step: string, outcome: TraceEntry['outcome'], extra: Partial<TraceEntry> = {}): TraceEntry => ({
  step,
  service: 's',
  stage: 'send',
  start: '2026-01-01T00:00:00Z',
  durationMs: 5,
  outcome,
  attempt: 1,
  ...extra,
});

describe('the graph layout', () => {
  it('stacks the steps in order, the publication line between the stages, fed itineraries beside the step', () => {
    const l = layoutGraph(GRAPH);
    const y = (id: string) => l.boxes.get(id)!.y;
    expect(y(':on-ramp')).toBeLessThan(y('a'));
    expect(y('a')).toBeLessThan(l.publicationY);
    expect(l.publicationY).toBeLessThan(y('b'));
    expect(y('b')).toBeLessThan(y('c'));
    expect(y('c')).toBeLessThan(y(':end'));
    expect(l.groups.map((g) => g.stage)).toEqual(['receive', 'send']);
    const side = l.boxes.get('itinerary:next')!;
    expect(side.x).toBeGreaterThan(l.boxes.get('b')!.x + l.boxes.get('b')!.w);
    expect(side.lines).toContain('queue q');
    expect(l.boxes.get('b')!.lines).toEqual(['2. b', 'route · rules p@1.0.0', 'when x > 1']);
    expect(l.width).toBeGreaterThan(side.x + side.w);
  });
});

describe('the trace overlay', () => {
  it('keeps the last outcome per step, counts attempts and durations, and says why a step was skipped', () => {
    const t = traceByStep([
      entry('a', 'retried'),
      entry('a', 'faulted', { attempt: 2, error: { code: 'X', message: 'x' } }),
      entry('a', 'skipped', { reason: 'resubmitted after it' }),
      entry('b', 'completed', { resolver: { type: 'rules', fired: ['r1'] } }),
    ]);
    expect(t.get('a')).toMatchObject({ outcome: 'skipped', ran: true, attempts: 2, totalMs: 15 });
    expect(badge(t.get('a')!)).toContain('skipped');
    expect(badge(t.get('b')!)).toBe('✓ 5 ms');
    expect(rulesOf(t.get('b')!.entries[0])).toEqual([{ rule: 'r1', fired: true }]);
    expect(rulesOf(entry('c', 'completed', { rules: [{ rule: 'r2', fired: false, facts: { amount: 3 } }] }))[0].facts).toEqual({ amount: 3 });
  });
});
