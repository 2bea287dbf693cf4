import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ALL_ADAPTERS } from '@itinera/adapters';
import {
  buildItineraryGraph,
  loadRegistry,
  registryGraphContext,
  renderMermaid,
  renderSvg,
  type GraphStep,
  type ItineraryGraph,
  type ItineraryRegistry,
} from '@itinera/engine';
import { ALL_STEPS } from '@itinera/steps';
import { mermaidStructure, xmlProblems } from '../../libs/engine/src/graph/graph-check.testing';
import { launchChromium } from '../support/browser';

let registry: ItineraryRegistry;
const graphOf = (name: string): ItineraryGraph => buildItineraryGraph(registry.itinerary(name), registryGraphContext(registry));
const steps = (g: ItineraryGraph) => g.nodes.filter((n): n is GraphStep => n.kind === 'step');

beforeAll(async () => {
  const loaded = await loadRegistry(join(__dirname, '..', '..', 'itineraries'), { services: ALL_STEPS, adapters: ALL_ADAPTERS, invokables: ['order-number'] });
  registry = loaded.registry!;
});

describe('the sample itineraries as graphs', () => {
  it('orders: 3 receive steps, the publication line, 4 send steps, rules with deployed versions, the hop to order-fulfilment', () => {
    const g = graphOf('orders');
    expect(steps(g)).toHaveLength(7);
    expect(g.nodes).toHaveLength(10); // on-ramp, 7 steps, end, order-fulfilment
    expect(g.stages.map((s) => s.steps.length)).toEqual([3, 4]);
    expect(g.publication).toEqual({ after: 'reply', before: 'order-number' });
    const decide = steps(g).find((s) => s.id === 'decide')!;
    expect(decide.resolver.label).toBe('rules order-decision@1.0.0');
    expect(steps(g).find((s) => s.id === 'to-canonical')!.maps).toEqual(['order-to-canonical@1.0.0']);
    expect(steps(g).find((s) => s.id === 'deliver')!.retry).toMatchObject({ attempts: 3 });
    expect(g.edges).toContainEqual(expect.objectContaining({ from: 'route', to: 'itinerary:order-fulfilment', kind: 'itinerary' }));
  });

  it('order-fulfilment: a queue on-ramp, one send step, published as it arrives', () => {
    const g = graphOf('order-fulfilment');
    expect(g.onRamps).toEqual(['queue orders.fulfilment']);
    expect(steps(g).map((s) => s.id)).toEqual(['log']);
    expect(g.publication).toEqual({ after: null, before: 'log' });
    expect(steps(g)[0].endpoints).toEqual([{ adapter: 'log', address: 'orders.fulfilment' }]);
  });

  it('calculator and chat: every step in the send stage with its when condition', () => {
    const calc = graphOf('calculator');
    expect(
      steps(calc)
        .filter((s) => s.when)
        .map((s) => s.id),
    ).toEqual(['divide-by-zero', 'equation', 'result']);
    expect(steps(calc).find((s) => s.id === 'equation')).toMatchObject({ callback: 'Equation', maps: ['calculator-equation@1.0.0'] });
    const chat = graphOf('chat');
    expect(steps(chat)).toHaveLength(8);
    expect(chat.stages[0].steps).toEqual([]);
    expect(steps(chat).every((s) => s.when?.startsWith('action ='))).toBe(true);
  });

  it('every sample draws as a Mermaid flowchart that reads back, and as well-formed SVG', () => {
    for (const { name } of registry.list()) {
      const g = graphOf(name);
      const m = mermaidStructure(renderMermaid(g));
      expect(m.problems, name).toEqual([]);
      expect(m.nodes.size, name).toBe(g.nodes.length);
      expect(xmlProblems(renderSvg(g)), name).toEqual([]);
    }
  });
});

describe('the SVG in Chromium', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => browser?.close());

  it('renders every step box with its texts inside it, and no box overlaps another', async () => {
    for (const name of ['orders', 'chat']) {
      const g = graphOf(name);
      const page = await browser!.newPage();
      await page.setContent(`<!doctype html><body style="margin:0">${renderSvg(g)}</body>`);
      const boxes = await page.$$eval('g.node', (els) =>
        els.map((el) => {
          const r = el.querySelector('rect')!.getBoundingClientRect();
          const texts = [...el.querySelectorAll('text')].map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }));
          return {
            id: el.getAttribute('data-node')!,
            rect: { x: r.x, y: r.y, w: r.width, h: r.height },
            texts: texts.map((t) => ({ text: t.text, x: t.box.x, y: t.box.y, w: t.box.width, h: t.box.height })),
          };
        }),
      );
      await page.close();
      expect(boxes.map((b) => b.id)).toEqual(g.nodes.map((n) => n.id));
      for (const n of steps(g)) expect(boxes.find((b) => b.id === n.id)!.texts.map((t) => t.text)).toEqual([`${n.index + 1}. ${n.id}`, ...n.details]);
      for (const b of boxes) {
        for (const t of b.texts) {
          expect(t.w, `${name} ${b.id}: "${t.text}" drawn`).toBeGreaterThan(0);
          // Each text inside its box: the widths computed from character counts hold with the real font.
          expect(t.x + t.w, `${name} ${b.id}: "${t.text}"`).toBeLessThanOrEqual(b.rect.x + b.rect.w + 0.5);
          expect(t.y + t.h, `${name} ${b.id}: "${t.text}"`).toBeLessThanOrEqual(b.rect.y + b.rect.h + 0.5);
        }
      }
      for (const a of boxes) {
        for (const b of boxes) {
          if (a === b) continue;
          const apart =
            a.rect.x + a.rect.w <= b.rect.x || b.rect.x + b.rect.w <= a.rect.x || a.rect.y + a.rect.h <= b.rect.y || b.rect.y + b.rect.h <= a.rect.y;
          expect(apart, `${name}: ${a.id} overlaps ${b.id}`).toBe(true);
        }
      }
    }
  }, 60_000);
});
