/** The graph model GET /itineraries/{name}/graph?format=json answers (libs/engine/src/graph/itinerary-graph.ts). */
export interface GraphNode {
  id: string;
  kind: 'entry' | 'step' | 'end' | 'itinerary';
  title?: string;
  index?: number;
  stage?: 'receive' | 'send';
  service?: string;
  description?: string;
  resolver?: { type: string; label: string; policy?: string; version?: string; rules?: string[]; map?: string };
  when?: string;
  maps?: string[];
  details: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'next' | 'queue' | 'itinerary';
  label?: string;
}

export interface ItineraryGraph {
  name: string;
  version: string;
  description?: string;
  actions: string[];
  onRamps: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  stages: { stage: string; steps: string[] }[];
  publication: { after: string | null; before: string | null };
}

export interface Box {
  node: GraphNode;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The lines drawn in the box, title first. */
  lines: string[];
}

export interface Layout {
  width: number;
  height: number;
  boxes: Map<string, Box>;
  groups: { stage: string; x: number; y: number; w: number; h: number }[];
  /** The publication line's height (the message is published to the message box there). */
  publicationY: number;
}

const COL_X = 40;
const COL_W = 380;
const SIDE_X = COL_X + COL_W + 70;
const SIDE_W = 240;
const LINE = 16;
const TITLE = 22;
const GAP = 34;
const PAD = 14;

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** The lines of a node's box: its title, then what runs there (resolver, when, maps, endpoints, retry), then the rules its policy holds. */
export function nodeLines(n: GraphNode): string[] {
  const title = n.kind === 'step' ? `${(n.index ?? 0) + 1}. ${n.id}` : (n.title ?? n.id);
  const lines = [title, ...n.details.map((d) => clip(d, 56))];
  if (n.resolver?.rules?.length) lines.push(clip(`rules: ${n.resolver.rules.join(', ')}`, 56));
  return lines;
}

/**
 * A top-down layout: the on-ramp, the receive steps, the publication line, the send
 * steps, the end; itineraries fed through a queue to the right of the step that feeds them.
 */
export function layoutGraph(g: ItineraryGraph): Layout {
  const boxes = new Map<string, Box>();
  const groups: Layout['groups'] = [];
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const height = (lines: string[]) => TITLE + (lines.length - 1) * LINE + 10;
  let y = 20;
  let publicationY = 0;
  const place = (n: GraphNode) => {
    const lines = nodeLines(n);
    const h = height(lines);
    boxes.set(n.id, { node: n, x: COL_X, y, w: COL_W, h, lines });
    y += h + GAP;
  };
  const entry = g.nodes.find((n) => n.kind === 'entry');
  if (entry) place(entry);
  for (const stage of g.stages) {
    if (stage.stage === 'send') {
      // The publication line sits between the two stages, even when one is empty.
      publicationY = y - GAP / 2 + 4;
      y += 14;
    }
    if (!stage.steps.length) continue;
    const top = y - PAD + 2;
    y += 12;
    for (const id of stage.steps) {
      const n = byId.get(id);
      if (n) place(n);
    }
    groups.push({ stage: stage.stage, x: COL_X - PAD, y: top, w: COL_W + 2 * PAD, h: y - GAP + PAD - top });
    y += 6;
  }
  if (!publicationY) publicationY = y - GAP / 2;
  const end = g.nodes.find((n) => n.kind === 'end');
  if (end) place(end);
  for (const n of g.nodes.filter((x) => x.kind === 'itinerary')) {
    const from = g.edges.find((e) => e.to === n.id);
    const src = from ? boxes.get(from.from) : undefined;
    // What feeds it (the queue, the rule that picks it) is written in its box.
    const lines = [...nodeLines(n), ...g.edges.filter((e) => e.to === n.id && e.label).map((e) => clip(e.label!, 30))];
    const taken = [...boxes.values()].filter((b) => b.x === SIDE_X);
    let sy = src ? src.y : 20;
    while (taken.some((b) => sy < b.y + b.h + 10 && sy + height(lines) > b.y - 10)) sy += 20;
    boxes.set(n.id, { node: n, x: SIDE_X, y: sy, w: SIDE_W, h: height(lines), lines });
  }
  // Room for the stage labels right of the column, and for the fed itineraries beside it.
  const width = Math.max(COL_X + COL_W + PAD + 80, ...[...boxes.values()].map((b) => b.x + b.w + 30));
  const bottom = Math.max(y, ...[...boxes.values()].map((b) => b.y + b.h + 20));
  return { width, height: bottom, boxes, groups, publicationY };
}
