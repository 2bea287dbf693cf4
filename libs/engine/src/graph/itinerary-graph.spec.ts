import { describe, expect, it } from 'vitest';
import type { ItineraryDefinition, PolicyDefinition } from '@itinera/core';
import { END_ID, ENTRY_ID, buildItineraryGraph, itineraryNodeId, type GraphStep } from './itinerary-graph';

const ROUTING: PolicyDefinition = {
  name: 'routing',
  version: '2.1.0',
  defaults: { adapter: 'queue', address: 'jobs.in' },
  rules: [{ name: 'to-http', conditions: { all: [] }, params: { adapter: 'http', address: 'https://example.test/x' } }],
};

const DEF: ItineraryDefinition = {
  name: 'sample',
  version: '1.0.0',
  onRamps: { duplex: false, queue: [{ queue: 'sample.in' }] },
  steps: [
    { id: 'check', service: 'validate', stage: 'receive', options: { schema: 'thing' } },
    { id: 'canon', service: 'transform', stage: 'receive', options: { map: 'to-canon' } },
    { id: 'pick', service: 'route', resolver: { type: 'rules', policy: 'routing' } },
    { id: 'notify', service: 'callback', when: "action = 'Go'", options: { action: 'Done', map: 'out', version: '1.0.0' } },
    { id: 'deliver', service: 'send', queue: 'slow', retry: { attempts: 4, backoffMs: 100 }, resolver: { type: 'expression', map: 'params' } },
  ],
};

const ctx = {
  policy: (name: string) => (name === 'routing' ? ROUTING : undefined),
  mapVersion: (name: string, version?: string) => version ?? (name === 'to-canon' ? '3.0.0' : undefined),
  queueConsumer: (queue: string) => (queue === 'jobs.in' ? 'jobs' : undefined),
};

describe('buildItineraryGraph', () => {
  const graph = buildItineraryGraph(DEF, ctx);
  const step = (id: string) => graph.nodes.find((n) => n.id === id) as GraphStep;

  it('chains the on-ramp, the steps in order and the end; node ids are the step ids', () => {
    expect(graph.nodes.map((n) => n.id)).toEqual([ENTRY_ID, 'check', 'canon', 'pick', 'notify', 'deliver', END_ID, itineraryNodeId('jobs')]);
    const chain = graph.edges.filter((e) => e.kind !== 'itinerary').map((e) => `${e.from}>${e.to}`);
    expect(chain).toEqual([`${ENTRY_ID}>check`, 'check>canon', 'canon>pick', 'pick>notify', 'notify>deliver', `deliver>${END_ID}`]);
    expect(graph.onRamps).toEqual(['http', 'queue sample.in']);
  });

  it('groups by stage and puts the publication line between the last receive and the first send step', () => {
    expect(graph.stages).toEqual([
      { stage: 'receive', steps: ['check', 'canon'] },
      { stage: 'send', steps: ['pick', 'notify', 'deliver'] },
    ]);
    expect(graph.publication).toEqual({ after: 'canon', before: 'pick' });
  });

  it('annotates resolvers, when, maps with their deployed versions, retries, callbacks and queue hops', () => {
    expect(step('pick').resolver).toMatchObject({ type: 'rules', label: 'rules routing@2.1.0', rules: ['to-http'] });
    expect(step('pick').endpoints).toEqual([
      { adapter: 'http', address: 'https://example.test/x', when: 'to-http' },
      { adapter: 'queue', address: 'jobs.in', when: 'defaults' },
    ]);
    expect(step('canon').maps).toEqual(['to-canon@3.0.0']);
    expect(step('notify')).toMatchObject({ when: "action = 'Go'", callback: 'Done', maps: ['out@1.0.0'] });
    expect(step('deliver')).toMatchObject({ queue: 'slow', retry: { attempts: 4, backoffMs: 100 }, resolver: { label: 'map params@latest' } });
    expect(step('check').details).toContain('schema thing');
    expect(graph.edges.find((e) => e.to === 'deliver')).toMatchObject({ kind: 'queue', label: 'queue slow' });
  });

  it('draws an edge to the itinerary that consumes a queue the step can deliver to', () => {
    expect(graph.edges.filter((e) => e.kind === 'itinerary')).toEqual([
      { from: 'pick', to: 'itinerary:jobs', kind: 'itinerary', label: 'queue jobs.in (defaults)' },
    ]);
  });

  it('has no publication line when every step runs on the on-ramp, and one right after it when none does', () => {
    const onRamp = buildItineraryGraph({ name: 'a', version: '1.0.0', steps: [{ id: 'r', service: 'reply', stage: 'receive' }] });
    expect(onRamp.publication).toEqual({ after: 'r', before: null });
    const worker = buildItineraryGraph({ name: 'b', version: '1.0.0', steps: [{ id: 's', service: 'send' }] });
    expect(worker.publication).toEqual({ after: null, before: 's' });
  });
});
