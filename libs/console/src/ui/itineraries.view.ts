import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { query } from './api';
import { GraphView } from './graph.view';
import type { ItineraryGraph } from './graph-model';
import { href, useApi, type Route } from './hooks';
import { Loading, Problem } from './widgets';

interface ItinerarySummary {
  name: string;
  versions: string[];
  latest: string;
  description?: string;
  actions: { name: string; description?: string }[];
}

/** Every deployed itinerary and version; the chosen one drawn as a graph. */
export function ItinerariesView({ route }: { route: Route }) {
  const list = useApi<{ itineraries: ItinerarySummary[] }>('/itineraries');
  const name = route.path[1] ?? list.data?.itineraries[0]?.name;
  const version = route.params.version;
  return html`<section class="itineraries">
    <h1>Itineraries</h1>
    <${Problem} error=${list.error} />
    <div class="split">
      <ul class="itinerary-list">
        ${(list.data?.itineraries ?? []).map(
          (it) =>
            html`<li class=${it.name === name ? 'active' : ''}>
              <a href=${href('itineraries', it.name)}>${it.name}</a>${' '}
              <span class="versions">
                ${it.versions.map((v) => html`<a class=${`version${it.name === name && (version ?? it.latest) === v ? ' current' : ''}`} href=${`${href('itineraries', it.name)}?version=${v}`}>${v}</a>`)}
              </span>
              ${it.description ? html`<p class="muted">${it.description}</p>` : null}
            </li>`,
        )}
      </ul>
      <div class="graph-pane">${name ? html`<${ItineraryGraphPane} name=${name} version=${version} />` : html`<${Loading} when=${list.loading} />`}</div>
    </div>
  </section>`;
}

function ItineraryGraphPane({ name, version }: { name: string; version?: string }) {
  const graph = useApi<ItineraryGraph>(`/itineraries/${encodeURIComponent(name)}/graph${query({ format: 'json', version })}`);
  const [selected, setSelected] = useState<string>();
  if (graph.error) return html`<${Problem} error=${graph.error} />`;
  if (!graph.data) return html`<${Loading} when=${true} />`;
  const g = graph.data;
  const step = g.nodes.find((n) => n.id === selected);
  return html`<div>
    <h2>${g.name}@${g.version}</h2>
    <p class="muted">on-ramps: ${g.onRamps.join(', ')} · actions: ${g.actions.join(', ') || '(any)'}</p>
    <div class="graph-wrap"><${GraphView} graph=${g} selected=${selected} onSelect=${setSelected} /></div>
    ${
      step
        ? html`<div class="panel step-panel">
            <h3>${step.id}</h3>
            <p>${step.description ?? ''}</p>
            <ul>
              ${step.details.map((d) => html`<li>${d}</li>`)}
            </ul>
          </div>`
        : null
    }
  </div>`;
}
