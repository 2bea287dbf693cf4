import { describe, expect, it } from 'vitest';
import type { ItineraryDefinition } from '@itinera/core';
import { buildItineraryGraph } from './itinerary-graph';
import { dotStructure, mermaidStructure, xmlProblems } from './graph-check.testing';
import { drawItineraryGraph, renderDot, renderMermaid, renderSvg } from './index';

const HOSTILE = `a"b<c>&d\n]|#x; ${'long-'.repeat(40)}`;

const DEF: ItineraryDefinition = {
  name: 'orders"<&>',
  version: '1.0.0',
  steps: [
    { id: 'check', service: 'validate', stage: 'receive' },
    { id: 'ack', service: 'reply', stage: 'receive' },
    { id: 'decide', service: 'callback', when: `body.x = "<a & b>"\n or body.y = '|'`, options: { action: HOSTILE } },
    { id: 'go', service: 'send', queue: 'q"1', options: { adapter: 'queue', address: `x</text><script>`, config: 'itinerary=next"<it>' } },
  ],
};
const graph = buildItineraryGraph(DEF);

describe('renderMermaid', () => {
  const src = renderMermaid(graph);
  const parsed = mermaidStructure(src);

  it('is a flowchart with a subgraph per stage, every node declared and chained in order', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.subgraphs).toEqual(['receive', 'send']);
    expect(parsed.nodes.size).toBe(graph.nodes.length);
    expect(parsed.edges).toHaveLength(graph.edges.length);
    expect(src).toMatch(/n2 ==>\|"publication \(message box\)"\| n3/);
  });

  it('escapes quotes, markup, pipes and newlines with entity codes', () => {
    const label = [...parsed.nodes.values()].find((l) => l.startsWith('3. decide'))!;
    expect(label).toContain('#34;#60;a #38; b#62;#34;');
    expect(label.replace(/<br\/>/g, '')).not.toMatch(/["<>&|\n]/);
  });
});

describe('renderDot', () => {
  const src = renderDot(graph);
  const parsed = dotStructure(src);

  it('has balanced braces, a cluster per stage, quoted step ids as node ids', () => {
    expect(parsed.problems).toEqual([]);
    expect(parsed.clusters).toEqual(['cluster_receive', 'cluster_send']);
    expect(parsed.nodes).toEqual(expect.arrayContaining(['check', 'ack', 'decide', 'go', 'itinerary:next\\"<it>']));
    expect(parsed.edges).toContainEqual(['ack', 'decide']);
    expect(src).toMatch(/"ack" -> "decide" \[label="publication \(message box\)", penwidth=2\.5\]/);
  });

  it('escapes quotes and backslashes and keeps each label on one line', () => {
    expect(src).toContain('a\\"b<c>&d ]|#x;');
    expect(src).toContain('digraph "orders\\"<&>@1.0.0" {');
  });
});

describe('renderSvg', () => {
  const svg = renderSvg(graph);

  it('is well-formed XML with one box per node, marked with its node id', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.match(/<g class="node /g)).toHaveLength(graph.nodes.length);
    expect(svg).toContain('data-node="decide"');
    expect(svg).toContain('class="publication"');
    expect(svg).not.toMatch(/<script|href=|@import|url\((?!#arrow\))/);
  });

  it('escapes markup and clips very long lines', () => {
    expect(svg).toContain('x&lt;/text&gt;&lt;script&gt;');
    expect(svg).toContain('a&quot;b&lt;c&gt;&amp;d ]|#x;');
    expect(svg).not.toContain('long-'.repeat(20));
    expect(xmlProblems('<a><b>x & y</b></a>')).not.toEqual([]);
  });

  it('sizes boxes from the longest line', () => {
    const short = renderSvg(buildItineraryGraph({ name: 'a', version: '1', steps: [{ id: 's', service: 'send' }] }));
    const long = renderSvg(buildItineraryGraph({ name: 'a', version: '1', steps: [{ id: 's'.repeat(60), service: 'send' }] }));
    const width = (s: string) => Number(/<svg [^>]*width="(\d+)"/.exec(s)![1]);
    expect(width(long)).toBeGreaterThan(width(short) + 200);
  });
});

describe('drawItineraryGraph', () => {
  it('names the formats for an unknown one', () => {
    expect(() => drawItineraryGraph(graph, 'png')).toThrow(/unknown graph format "png"; use one of: svg, mermaid, dot/);
    expect(drawItineraryGraph(graph, 'dot').contentType).toMatch(/^text\/vnd\.graphviz/);
  });
});
