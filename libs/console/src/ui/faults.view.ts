import type { FaultRecord } from '@itinera/core';
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, query } from './api';
import { FaultView } from './fault.view';
import { go, href, useApi, type Route } from './hooks';
import { PAGE_SIZE } from './messages.view';
import { Loading, Pager, Problem, time } from './widgets';

/** A row of GET /faults: the fault without the envelope to repair. */
export type FaultSummary = Omit<FaultRecord, 'envelope' | 'truncated'>;

const GROUPS = ['itinerary', 'step', 'code'] as const;
const FILTERS = ['itinerary', 'step', 'code'] as const;
/** Groups drawn at most: the largest first, as the bus sorts them. */
const MAX_GROUPS = 50;

/** The Exception Management Portal: faults listed, filtered, grouped, opened, and resubmitted or deleted in bulk. */
export function FaultsView({ route }: { route: Route }) {
  return route.path[1] ? html`<${FaultView} id=${route.path[1]} />` : html`<${FaultList} route=${route} />`;
}

function withParam(params: Record<string, string>, key: string, value: string | undefined): string {
  const q = new URLSearchParams(params);
  if (value) q.set(key, value);
  else q.delete(key);
  return `#/faults${q.toString() ? `?${q}` : ''}`;
}

function FaultList({ route }: { route: Route }) {
  const params = route.params;
  const by = (GROUPS as readonly string[]).includes(params.by) ? params.by : 'itinerary';
  const filters = { itinerary: params.itinerary, step: params.step, code: params.code };
  const key = JSON.stringify(filters);
  const [paging, setPaging] = useState<{ cursor?: string; back: string[]; key: string }>({ back: [], key: '' });
  const cursor = paging.key === key ? paging.cursor : undefined;
  const back = paging.key === key ? paging.back : [];
  const list = useApi<{ items?: FaultSummary[]; faults?: FaultSummary[]; nextCursor?: string }>(`/faults${query({ ...filters, limit: PAGE_SIZE, cursor })}`);
  const groups = useApi<{ groups: { key: string; count: number }[] }>(`/faults/groups${query({ by })}`);
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [outcome, setOutcome] = useState<string>();
  const [failure, setFailure] = useState<Error>();
  const items = list.data?.items ?? list.data?.faults ?? [];
  const toggle = (id: string) => {
    const next = new Set(checked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChecked(next);
  };
  const bulk = async (action: 'resubmit' | 'delete') => {
    const ids = [...checked];
    if (!ids.length) return;
    if (action === 'delete' && !confirm(`Delete ${ids.length} fault(s)? Their messages will not run again.`)) return;
    setFailure(undefined);
    try {
      const r = await api<{ results: { id: string; ok: boolean; code?: string }[] }>('/faults/bulk', { method: 'POST', body: { action, ids } });
      const failed = r.results.filter((x) => !x.ok);
      setOutcome(
        `${action}: ${r.results.length - failed.length} done${failed.length ? `, ${failed.length} failed (${failed.map((f) => `${f.id}: ${f.code}`).join(', ')})` : ''}`,
      );
      setChecked(new Set());
      list.reload();
      groups.reload();
    } catch (err) {
      setFailure(err as Error);
    }
  };
  const filterBy = (k: string) => (k === 'code' ? 'code' : k);
  return html`<section class="faults">
    <h1>Faults</h1>
    <div class="split">
      <aside class="groups">
        <h2>Group by ${GROUPS.map((g) => html` <a class=${`group-by ${g === by ? 'active' : ''}`} href=${withParam(params, 'by', g)}>${g}</a>`)}</h2>
        <${Problem} error=${groups.error} />
        <ul>
          ${(groups.data?.groups ?? [])
            .slice(0, MAX_GROUPS)
            .map(
              (g) =>
                html`<li class="group" data-key=${g.key}>
                  <a href=${withParam(params, filterBy(by), g.key)}>${g.key || '(none)'}</a> <span class="count">${g.count}</span>
                </li>`,
            )}
        </ul>
        ${(groups.data?.groups.length ?? 0) > MAX_GROUPS ? html`<p class="muted">the ${MAX_GROUPS} largest of ${groups.data!.groups.length} groups</p>` : null}
      </aside>
      <div class="fault-list">
        <form
          class="filters"
          onSubmit=${(e: Event) => {
            e.preventDefault();
            const form = new FormData(e.target as HTMLFormElement);
            const q = new URLSearchParams({ by });
            for (const f of FILTERS) {
              const v = String(form.get(f) ?? '').trim();
              if (v) q.set(f, v);
            }
            go(`#/faults?${q}`);
          }}
        >
          ${FILTERS.map((f) => html`<input name=${f} placeholder=${f === 'code' ? 'error code' : f} value=${params[f] ?? ''} />`)}
          <button type="submit">Filter</button>
          <a href="#/faults">clear</a>
        </form>
        <div class="bulk">
          <span>${checked.size} selected</span>
          <button class="bulk-resubmit" disabled=${!checked.size} onClick=${() => bulk('resubmit')}>Resubmit selected</button>
          <button class="bulk-delete danger" disabled=${!checked.size} onClick=${() => bulk('delete')}>Delete selected</button>
          ${outcome ? html`<span class="outcome-note">${outcome}</span>` : null}
        </div>
        <${Problem} error=${failure ?? list.error} />
        <${Loading} when=${list.loading && !list.data} />
        <table class="rows faults-table">
          <thead>
            <tr>
              <th>
                <input
                  type="checkbox"
                  class="check-all"
                  checked=${items.length > 0 && items.every((f) => checked.has(f.id))}
                  onChange=${(e: Event) => setChecked((e.target as HTMLInputElement).checked ? new Set(items.map((f) => f.id)) : new Set())}
                />
              </th>
              <th>fault</th>
              <th>itinerary</th>
              <th>step</th>
              <th>code</th>
              <th>message</th>
              <th>attempts</th>
              <th>at</th>
            </tr>
          </thead>
          <tbody>
            ${items.map(
              (f) =>
                html`<tr data-id=${f.id} data-message=${f.messageId}>
                  <td><input type="checkbox" class="check" checked=${checked.has(f.id)} onChange=${() => toggle(f.id)} /></td>
                  <td><a href=${href('faults', f.id)}>${f.id}</a></td>
                  <td>${f.itinerary}</td>
                  <td>${f.step ?? ''}</td>
                  <td><code>${f.error.code}</code></td>
                  <td class="error-message">${f.error.message}</td>
                  <td>${f.attempts}</td>
                  <td>${time(f.at)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <${Pager}
          back=${back}
          next=${list.data?.nextCursor}
          rows=${items.length}
          onPage=${(c: string | undefined, b: string[]) => setPaging({ cursor: c, back: b, key })}
        />
      </div>
    </div>
  </section>`;
}
