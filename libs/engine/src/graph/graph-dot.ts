import type { GraphNode, ItineraryGraph } from './itinerary-graph';

/** A DOT double-quoted string: backslash and quote escaped, a newline as `\n`. */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

// Each line left-justified: `\l` ends a line in a Graphviz label.
const label = (n: GraphNode): string => {
  const lines = [n.kind === 'step' ? `${n.index + 1}. ${n.id}` : n.title, ...n.details];
  return `"${lines.map((l) => l.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ')).join('\\l')}\\l"`;
};

/** Graphviz DOT: a cluster per stage, node ids the step ids (quoted), the publication edge bold. */
export function renderDot(graph: ItineraryGraph): string {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const node = (n: GraphNode): string => {
    const shape = n.kind === 'step' ? 'box' : n.kind === 'itinerary' ? 'component' : 'oval';
    return `${dotString(n.id)} [label=${label(n)}, shape=${shape}${n.kind === 'step' ? `, style=rounded` : ''}];`;
  };
  const lines = [
    `digraph ${dotString(`${graph.name}@${graph.version}`)} {`,
    '  rankdir=TB;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const n of graph.nodes) if (n.kind === 'entry') lines.push(`  ${node(n)}`);
  for (const s of graph.stages) {
    if (!s.steps.length) continue;
    lines.push(
      `  subgraph cluster_${s.stage} {`,
      `    label=${dotString(s.stage === 'receive' ? 'receive (on the on-ramp)' : 'send (in a worker)')};`,
      '    style=dashed;',
    );
    for (const id of s.steps) lines.push(`    ${node(byId.get(id)!)}`);
    lines.push('  }');
  }
  for (const n of graph.nodes) if (n.kind === 'end' || n.kind === 'itinerary') lines.push(`  ${node(n)}`);
  const published = graph.publication.before;
  for (const e of graph.edges) {
    const attrs: string[] = [];
    const text = [e.to === published ? 'publication (message box)' : '', e.label ?? ''].filter(Boolean).join(' · ');
    if (text) attrs.push(`label=${dotString(text)}`);
    if (e.to === published) attrs.push('penwidth=2.5');
    if (e.kind === 'itinerary') attrs.push('style=dotted');
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
