import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import { layoutGraph, type Box, type ItineraryGraph } from './graph-model';
import { badge, type StepTrace } from './trace-overlay';

export interface GraphProps {
  graph: ItineraryGraph;
  /** A message's trace by step: colours the path it took, the steps skipped and where it faulted. */
  trace?: Map<string, StepTrace>;
  /** The message finished (the end node is on its path). */
  completed?: boolean;
  selected?: string;
  onSelect?(step: string): void;
}

function nodeClass(box: Box, props: GraphProps): string {
  const classes = ['node', `node-${box.node.kind}`];
  if (props.selected === box.node.id) classes.push('selected');
  if (!props.trace) return classes.join(' ');
  const t = props.trace.get(box.node.id);
  if (box.node.kind === 'entry' || (box.node.kind === 'end' && props.completed)) classes.push('on-path');
  else if (t) classes.push(`trace-${t.outcome}`, t.ran ? 'on-path' : 'off-path');
  else if (box.node.kind === 'step' || box.node.kind === 'end') classes.push('not-reached');
  return classes.join(' ');
}

function reached(id: string, props: GraphProps): boolean {
  if (id.startsWith(':on-ramp')) return true;
  if (id === ':end') return !!props.completed;
  return !!props.trace?.get(id);
}

/** An itinerary drawn as SVG from its graph model; with a trace, the message's path laid over it. */
export function GraphView(props: GraphProps) {
  const layout = useMemo(() => layoutGraph(props.graph), [props.graph]);
  const boxes = [...layout.boxes.values()];
  const edges = props.graph.edges.map((e) => {
    const a = layout.boxes.get(e.from);
    const b = layout.boxes.get(e.to);
    if (!a || !b) return null;
    const side = b.x > a.x + a.w;
    const [x1, y1] = side ? [a.x + a.w, a.y + a.h / 2] : [a.x + a.w / 2, a.y + a.h];
    const [x2, y2] = side ? [b.x, b.y + Math.min(b.h / 2, 20)] : [b.x + b.w / 2, b.y];
    const onPath = props.trace && reached(e.from, props) && reached(e.to, props) && e.kind !== 'itinerary';
    return html`<g class=${`edge edge-${e.kind}${onPath ? ' on-path' : ''}`}>
      <path d=${side ? `M${x1},${y1} C${x1 + 45},${y1} ${x2 - 45},${y2} ${x2},${y2}` : `M${x1},${y1} L${x2},${y2}`} marker-end="url(#arrow)" />
      ${e.label && !side ? html`<text x=${x1 + 8} y=${(y1 + y2) / 2 + 4} class="edge-label">${e.label}</text>` : null}
    </g>`;
  });
  return html`<svg
    class="graph"
    role="img"
    aria-label=${`${props.graph.name}@${props.graph.version}`}
    viewBox=${`0 0 ${layout.width} ${layout.height}`}
    width=${layout.width}
    height=${layout.height}
    data-itinerary=${props.graph.name}
    data-version=${props.graph.version}
  >
    <defs>
      <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse">
        <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
      </marker>
    </defs>
    ${layout.groups.map(
      (g) =>
        html`<g class=${`stage stage-${g.stage}`}>
          <rect x=${g.x} y=${g.y} width=${g.w} height=${g.h} rx="10" />
          <text x=${g.x + g.w + 6} y=${g.y + 16} class="stage-label">${g.stage}</text>
        </g>`,
    )}
    <g class="publication">
      <line x1="10" x2=${layout.width - 10} y1=${layout.publicationY} y2=${layout.publicationY} />
      <text x=${layout.width - 12} y=${layout.publicationY - 5} text-anchor="end">publication: the message box</text>
    </g>
    ${edges}
    ${boxes.map((b) => {
      const t = props.trace?.get(b.node.id);
      return html`<g
        class=${nodeClass(b, props)}
        data-node=${b.node.id}
        data-kind=${b.node.kind}
        onClick=${() => b.node.kind === 'step' && props.onSelect?.(b.node.id)}
      >
        <title>${b.node.description ?? b.node.id}</title>
        <rect x=${b.x} y=${b.y} width=${b.w} height=${b.h} rx="6" />
        ${b.lines.map((line, i) => html`<text x=${b.x + 10} y=${b.y + 16 + i * 16 + (i ? 6 : 0)} class=${i ? 'detail' : 'title'}>${line}</text>`)}
        ${t ? html`<text x=${b.x + b.w - 8} y=${b.y + 16} text-anchor="end" class="badge">${badge(t)}</text>` : null}
      </g>`;
    })}
  </svg>`;
}
