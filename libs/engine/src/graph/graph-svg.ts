import type { GraphNode, ItineraryGraph } from './itinerary-graph';

/**
 * A self-contained SVG of the itinerary (no fonts, scripts or links to fetch).
 *
 * The layout is written here rather than taken from a graph-layout library: an itinerary
 * is an ordered routing slip, so its steps stack in one column, top-down, inside a band
 * per stage, with the publication line between the bands; the only side branches are
 * the itineraries fed through queues, drawn in a second column. A monospace font makes
 * box widths computable from character counts without measuring text.
 */

const FONT = 12;
const TITLE_FONT = 13;
const CHAR_W = 0.62 * TITLE_FONT; // monospace advance (~0.6em) with some slack, at the larger size
const LINE = 17;
const PAD = 10;
const GAP = 30;
const PUB_GAP = 46;
const BAND_PAD = 14;
const MARGIN = 16;
const MAX_CHARS = 80;

/** Text for XML content and attribute values: markup characters escaped, control characters XML forbids removed. */
export function xmlText(s: string): string {
  return (
    s
      .replace(/[\r\n\t]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters even escaped
      .replace(/[\u0000-\u001f\u007f\ufffe\uffff]/g, '')
      .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
  );
}

const clip = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > MAX_CHARS ? flat.slice(0, MAX_CHARS - 1) + '…' : flat;
};
const textWidth = (s: string): number => Math.ceil(clip(s).length * CHAR_W);

interface Box {
  node: GraphNode;
  x: number;
  y: number;
  w: number;
  h: number;
  lines: string[];
}

const titleOf = (n: GraphNode): string => (n.kind === 'step' ? `${n.index + 1}. ${n.id}` : n.title);
const linesOf = (n: GraphNode): string[] => [titleOf(n), ...n.details].map(clip);
const heightOf = (lines: string[]): number => PAD * 2 + lines.length * LINE;

export function renderSvg(graph: ItineraryGraph): string {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const column = graph.nodes.filter((n) => n.kind !== 'itinerary');
  const boxW = Math.max(180, ...column.map((n) => Math.max(...linesOf(n).map(textWidth)) + PAD * 2));
  const bandX = MARGIN;
  const boxX = bandX + BAND_PAD;
  const bandW = boxW + BAND_PAD * 2;
  const header = clip(`${graph.name}@${graph.version}`);
  let y = MARGIN + LINE + 8;

  const boxes = new Map<string, Box>();
  const place = (n: GraphNode, x: number, w: number): Box => {
    const lines = linesOf(n);
    const box = { node: n, x, y, w, h: heightOf(lines), lines };
    boxes.set(n.id, box);
    y += box.h;
    return box;
  };
  const entry = graph.nodes.find((n) => n.kind === 'entry')!;
  place(entry, boxX, boxW);

  const bands: { stage: string; y: number; h: number; label: string }[] = [];
  let publicationY: number | undefined;
  for (const s of graph.stages) {
    if (!s.steps.length) continue;
    if (s.stage === 'send' && graph.publication.before) {
      publicationY = y + PUB_GAP / 2;
      y += PUB_GAP;
    } else y += GAP;
    const top = y;
    y += LINE + 6;
    s.steps.forEach((id, i) => {
      if (i > 0) y += GAP;
      place(byId.get(id)!, boxX, boxW);
    });
    y += BAND_PAD;
    bands.push({ stage: s.stage, y: top, h: y - top, label: s.stage === 'receive' ? 'receive: on the on-ramp' : 'send: in a worker' });
  }
  if (graph.publication.before && publicationY === undefined) {
    // No receive steps: the message is published as it arrives.
    publicationY = y + PUB_GAP / 2;
    y += PUB_GAP;
  } else y += GAP;
  const end = graph.nodes.find((n) => n.kind === 'end')!;
  place(end, boxX, boxW);
  const bottom = y;

  // Itineraries fed through a queue: a second column, each beside the first step feeding it, never overlapping.
  const sideLabels = graph.edges.filter((e) => e.kind === 'itinerary').map((e) => textWidth(e.label ?? ''));
  const sideX = bandX + bandW + Math.max(120, ...sideLabels.map((w) => w + 24));
  const hopLabels = graph.edges.filter((e) => e.kind === 'queue').map((e) => boxX + boxW / 2 + 8 + textWidth(e.label ?? ''));
  let sideW = 0;
  let sideBottom = 0;
  for (const n of graph.nodes.filter((x) => x.kind === 'itinerary')) {
    const feeder = graph.edges.find((e) => e.to === n.id);
    const from = feeder ? boxes.get(feeder.from) : undefined;
    // Its title line level with the feeder's middle: a straight arrow, the label above it.
    y = Math.max(from ? from.y + from.h / 2 - LINE - PAD / 2 : MARGIN, sideBottom + (sideBottom ? GAP : 0));
    const lines = linesOf(n);
    const w = Math.max(...lines.map(textWidth)) + PAD * 2;
    sideW = Math.max(sideW, w);
    sideBottom = place(n, sideX, w).y + heightOf(lines);
  }

  const width = Math.ceil(Math.max(bandX + bandW, ...hopLabels, sideW ? sideX + sideW : 0, MARGIN + textWidth(header)) + MARGIN);
  const height = Math.ceil(Math.max(bottom, sideBottom) + MARGIN);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" data-itinerary="${xmlText(graph.name)}" data-version="${xmlText(graph.version)}">`,
    `<title>${xmlText(`${graph.name}@${graph.version}`)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    `<style>text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:${FONT}px;fill:#222}.title{font-size:${TITLE_FONT}px;font-weight:bold}` +
      '.band{fill:#f4f6fb;stroke:#b8c0d8;stroke-dasharray:4 3}.band-label{fill:#556;font-style:italic}' +
      '.node rect{fill:#fff;stroke:#4a5a8a;stroke-width:1.2}.node.entry rect,.node.end rect{fill:#eef3ee;stroke:#5a7a5a}.node.itinerary rect{fill:#fdf6e8;stroke:#a07a30}' +
      '.edge{stroke:#555;stroke-width:1.2;fill:none}.edge.itinerary{stroke-dasharray:5 4}.publication{stroke:#c0392b;stroke-width:2;stroke-dasharray:8 4}.publication-label{fill:#c0392b}</style>',
    `<text class="title" x="${MARGIN}" y="${MARGIN + TITLE_FONT}">${xmlText(header)}</text>`,
  );
  for (const b of bands) {
    out.push(
      `<g class="stage stage-${b.stage}" data-stage="${b.stage}"><rect class="band" x="${bandX}" y="${b.y}" width="${bandW}" height="${b.h}" rx="6"/>` +
        `<text class="band-label" x="${bandX + 8}" y="${b.y + LINE}">${xmlText(b.label)}</text></g>`,
    );
  }
  if (publicationY !== undefined) {
    out.push(
      `<g class="publication-line"><line class="publication" x1="${bandX - 6}" y1="${publicationY}" x2="${bandX + bandW + 6}" y2="${publicationY}"/>` +
        `<text class="publication-label" x="${boxX + boxW / 2 + 8}" y="${publicationY - 5}">publication (message box)</text></g>`,
    );
  }
  for (const e of graph.edges) {
    const a = boxes.get(e.from)!;
    const b = boxes.get(e.to)!;
    const cls = `edge ${e.kind}`;
    const data = `data-from="${xmlText(e.from)}" data-to="${xmlText(e.to)}"`;
    if (e.kind === 'itinerary') {
      const y1 = a.y + a.h / 2;
      const y2 = b.y + LINE + PAD / 2;
      out.push(`<g ${data}><path class="${cls}" d="M${a.x + a.w},${y1} C${a.x + a.w + 60},${y1} ${b.x - 60},${y2} ${b.x},${y2}" marker-end="url(#arrow)"/>`);
      if (e.label) out.push(`<text x="${a.x + a.w + 8}" y="${y1 - 6}">${xmlText(clip(e.label))}</text>`);
      out.push('</g>');
      continue;
    }
    const x = a.x + a.w / 2;
    out.push(`<g ${data}><line class="${cls}" x1="${x}" y1="${a.y + a.h}" x2="${x}" y2="${b.y}" marker-end="url(#arrow)"/>`);
    if (e.label) out.push(`<text x="${x + 8}" y="${a.y + a.h + GAP / 2 + 4}">${xmlText(clip(e.label))}</text>`);
    out.push('</g>');
  }
  for (const b of boxes.values()) {
    const n = b.node;
    const cls = n.kind === 'step' ? `node step stage-${n.stage}` : `node ${n.kind}`;
    out.push(`<g class="${cls}" data-node="${xmlText(n.id)}"><rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="${n.kind === 'step' ? 4 : 14}"/>`);
    b.lines.forEach((line, i) => {
      out.push(`<text${i === 0 ? ' class="title"' : ''} x="${b.x + PAD}" y="${b.y + PAD + (i + 1) * LINE - 4}">${xmlText(line)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
