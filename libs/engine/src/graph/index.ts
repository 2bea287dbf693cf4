import { ItineraError } from '@itinera/core';
import { renderDot } from './graph-dot';
import { renderMermaid } from './graph-mermaid';
import { renderSvg } from './graph-svg';
import { buildItineraryGraph, registryGraphContext, type ItineraryGraph } from './itinerary-graph';
import type { ItineraryRegistry } from '../itinerary.registry';

export * from './itinerary-graph';
export { renderDot, dotString } from './graph-dot';
export { renderMermaid, mermaidText } from './graph-mermaid';
export { renderSvg, xmlText } from './graph-svg';

/** Drawings of an itinerary graph, by format name, with their media types. */
export const GRAPH_DRAWINGS = {
  svg: { contentType: 'image/svg+xml; charset=utf-8', render: renderSvg },
  mermaid: { contentType: 'text/vnd.mermaid; charset=utf-8', render: renderMermaid },
  dot: { contentType: 'text/vnd.graphviz; charset=utf-8', render: renderDot },
} as const;

export type GraphDrawingFormat = keyof typeof GRAPH_DRAWINGS;

export function isGraphDrawingFormat(format: string): format is GraphDrawingFormat {
  return Object.hasOwn(GRAPH_DRAWINGS, format);
}

/** The graph drawn in `format`; throws BAD_REQUEST naming the formats for an unknown one. */
export function drawItineraryGraph(graph: ItineraryGraph, format: string): { contentType: string; text: string } {
  if (!isGraphDrawingFormat(format)) {
    throw new ItineraError('BAD_REQUEST', `unknown graph format "${format}"; use one of: ${Object.keys(GRAPH_DRAWINGS).join(', ')}`);
  }
  const drawing = GRAPH_DRAWINGS[format];
  return { contentType: drawing.contentType, text: drawing.render(graph) };
}

/**
 * The deployed itinerary `name@version` (none: the latest) as a drawing, or as the graph
 * model for `json`: what GET /itineraries/{name}/graph answers. Throws ITINERARY_NOT_FOUND.
 */
export function drawDeployedItinerary(
  registry: ItineraryRegistry,
  name: string,
  version: string | undefined,
  format: string,
): { contentType: string; body: string | ItineraryGraph } {
  const graph = buildItineraryGraph(registry.itinerary(name, version), registryGraphContext(registry));
  if (format === 'json') return { contentType: 'application/json; charset=utf-8', body: graph };
  const drawn = drawItineraryGraph(graph, format);
  return { contentType: drawn.contentType, body: drawn.text };
}
