import type { GraphNode, ItineraryGraph } from './itinerary-graph';

/**
 * Text inside a quoted Mermaid label: Mermaid's entity codes for the characters that
 * end a label or read as markup; a newline becomes a line break.
 */
export function mermaidText(s: string): string {
  return s.replace(/[#"<>&|`]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\r?\n/g, '<br/>');
}

const label = (n: GraphNode): string => [n.kind === 'step' ? `${n.index + 1}. ${n.id}` : n.title, ...n.details].map(mermaidText).join('<br/>');

/** A Mermaid `flowchart TD`: a subgraph per stage, ids n0…, the step id first in each label. */
export function renderMermaid(graph: ItineraryGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const node = (n: GraphNode): string => {
    const id = ids.get(n.id)!;
    if (n.kind === 'entry' || n.kind === 'end') return `${id}(["${label(n)}"])`;
    if (n.kind === 'itinerary') return `${id}[["${label(n)}"]]`;
    return `${id}["${label(n)}"]`;
  };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const lines = ['flowchart TD', `  %% ${mermaidText(`${graph.name}@${graph.version}`)}`];
  for (const n of graph.nodes) if (n.kind === 'entry') lines.push(`  ${node(n)}`);
  for (const s of graph.stages) {
    if (!s.steps.length) continue;
    const title = s.stage === 'receive' ? 'receive: on the on-ramp, before publication' : 'send: in a worker, after publication';
    lines.push(`  subgraph ${s.stage}["${mermaidText(title)}"]`, '    direction TB');
    for (const id of s.steps) lines.push(`    ${node(byId.get(id)!)}`);
    lines.push('  end');
  }
  for (const n of graph.nodes) if (n.kind === 'end' || n.kind === 'itinerary') lines.push(`  ${node(n)}`);
  const published = graph.publication.before;
  for (const e of graph.edges) {
    const from = ids.get(e.from)!;
    const to = ids.get(e.to)!;
    const parts = [e.to === published ? 'publication (message box)' : '', e.label ?? ''].filter(Boolean);
    const text = parts.length ? `|"${mermaidText(parts.join(' · '))}"|` : '';
    // Thick: the publication line; dotted: hand-off to another itinerary.
    const arrow = e.to === published ? '==>' : e.kind === 'itinerary' ? '-.->' : '-->';
    lines.push(`  ${from} ${arrow}${text} ${to}`);
  }
  return lines.join('\n') + '\n';
}
