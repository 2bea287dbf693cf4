import { html } from 'htm/preact';
import { query } from './api';
import { go, useApi, type Route } from './hooks';
import { Problem, time } from './widgets';

interface Stats {
  count: number;
  milestones: Record<string, number>;
  fields: Record<string, { count: number; sum: number; min: number; max: number; avg: number }>;
  between?: { count: number; p50?: number; p95?: number };
}
interface Aggregate {
  itinerary: string;
  from: string;
  to: string;
  bucketMs: number;
  groupBy?: string;
  total: Stats & { groups?: (Stats & { value: string | null })[] };
  buckets: (Stats & { start: string; end: string })[];
  declared: { milestones: string[]; fields: string[] };
}

/** Business activity monitoring: GET /activities aggregates of one itinerary, per time bucket. */
export function ActivitiesView({ route }: { route: Route }) {
  const list = useApi<{ itineraries: { name: string }[] }>('/itineraries');
  const p = route.params;
  const itinerary = p.itinerary ?? list.data?.itineraries[0]?.name;
  const agg = useApi<Aggregate>(itinerary ? `/activities${query({ itinerary, bucket: p.bucket || '1h', groupBy: p.groupBy, between: p.between })}` : undefined);
  const set = (k: string, v: string) => {
    const q = new URLSearchParams({ ...p, ...(itinerary ? { itinerary } : {}) });
    if (v) q.set(k, v);
    else q.delete(k);
    go(`#/activities?${q}`);
  };
  const a = agg.data;
  const max = Math.max(1, ...(a?.buckets ?? []).map((b) => b.count));
  const milestones = a ? a.declared.milestones : [];
  return html`<section class="activities">
    <h1>Business activity</h1>
    <div class="filters">
      <select class="bam-itinerary" onChange=${(e: Event) => set('itinerary', (e.target as HTMLSelectElement).value)}>
        ${(list.data?.itineraries ?? []).map((i) => html`<option value=${i.name} selected=${i.name === itinerary}>${i.name}</option>`)}
      </select>
      <select class="bam-bucket" onChange=${(e: Event) => set('bucket', (e.target as HTMLSelectElement).value)}>
        ${['1m', '5m', '1h', '1d'].map((b) => html`<option value=${b} selected=${(p.bucket || '1h') === b}>${b} buckets</option>`)}
      </select>
      <select class="bam-group" onChange=${(e: Event) => set('groupBy', (e.target as HTMLSelectElement).value)}>
        <option value="">no grouping</option>
        ${(a?.declared.fields ?? []).map((f) => html`<option value=${f} selected=${p.groupBy === f}>by ${f}</option>`)}
      </select>
    </div>
    <${Problem} error=${agg.error} />
    ${
      a
        ? html`<div class="bam">
            <div class="cards">
              <div class="card">
                <div class="label">activities</div>
                <div class="figure bam-total">${a.total.count}</div>
              </div>
              ${milestones.map(
                (m) =>
                  html`<div class="card milestone" data-milestone=${m}>
                    <div class="label">${m}</div>
                    <div class="figure">${a.total.milestones[m] ?? 0}</div>
                  </div>`,
              )}
              ${Object.entries(a.total.fields).map(
                ([f, s]) =>
                  html`<div class="card field" data-field=${f}>
                    <div class="label">${f} (sum · avg)</div>
                    <div class="figure">${s.sum} · ${s.avg.toFixed(1)}</div>
                  </div>`,
              )}
            </div>
            <p class="muted">${time(a.from)} – ${time(a.to)}</p>
            <svg class="bars" viewBox=${`0 0 ${Math.max(1, a.buckets.length) * 10} 100`} preserveAspectRatio="none" height="120">
              ${a.buckets.map(
                (b, i) =>
                  html`<rect class="bar" x=${i * 10 + 1} width="8" y=${100 - (b.count / max) * 100} height=${(b.count / max) * 100}
                    ><title>${time(b.start)}: ${b.count}</title></rect
                  >`,
              )}
            </svg>
            ${
              a.total.groups
                ? html`<table class="rows bam-groups">
                    <thead>
                      <tr>
                        <th>${a.groupBy}</th>
                        <th>activities</th>
                        ${milestones.map((m) => html`<th>${m}</th>`)}
                      </tr>
                    </thead>
                    <tbody>
                      ${a.total.groups.map(
                        (g) =>
                          html`<tr>
                            <td>${g.value ?? '(none)'}</td>
                            <td>${g.count}</td>
                            ${milestones.map((m) => html`<td>${g.milestones[m] ?? 0}</td>`)}
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
                : null
            }
          </div>`
        : null
    }
  </section>`;
}
