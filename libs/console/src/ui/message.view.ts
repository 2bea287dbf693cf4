import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { query } from './api';
import { BodyDiff } from './body-diff.view';
import { GraphView } from './graph.view';
import type { ItineraryGraph } from './graph-model';
import { useApi, useInterval } from './hooks';
import { rulesOf, skipReason, traceByStep, type TraceEntry } from './trace-overlay';
import { Json, Loading, Problem, time } from './widgets';

interface MessageRecord {
  messageId: string;
  correlationId: string;
  itinerary: string;
  status: string;
  action?: string;
  acceptedAt: string;
  updatedAt: string;
  trace: TraceEntry[];
  context?: Record<string, unknown>;
  error?: { code: string; message: string; step?: string };
}

const FINAL = ['completed', 'faulted'];

/** `orders@1.0.0` → name and version. */
export function splitItinerary(ref: string): { name: string; version?: string } {
  const at = ref.lastIndexOf('@');
  return at > 0 ? { name: ref.slice(0, at), version: ref.slice(at + 1) } : { name: ref };
}

/** One message: its trace drawn on its itinerary's graph, every entry, and the body diff of each transform. */
export function MessageView({ id }: { id: string }) {
  const record = useApi<MessageRecord>(`/messages/${encodeURIComponent(id)}`);
  const ref = record.data ? splitItinerary(record.data.itinerary) : undefined;
  const graph = useApi<ItineraryGraph>(
    ref ? `/itineraries/${encodeURIComponent(ref.name)}/graph${query({ format: 'json', version: ref.version })}` : undefined,
  );
  const [selected, setSelected] = useState<string>();
  // A message still on its way (just resubmitted, say) is shown as it moves on.
  useInterval(() => {
    if (record.data && !FINAL.includes(record.data.status)) record.reload();
  }, 1000);
  const trace = useMemo(() => traceByStep(record.data?.trace ?? []), [record.data]);
  if (record.error) return html`<${Problem} error=${record.error} />`;
  if (!record.data) return html`<${Loading} when=${true} />`;
  const m = record.data;
  const shown = m.trace.filter((e) => !selected || e.step === selected);
  return html`<section class="message" data-status=${m.status}>
    <h1>Message <code>${m.messageId}</code></h1>
    <p class="facts">
      <span class=${`status status-${m.status}`}>${m.status}</span>
      <span>${m.itinerary}${m.action ? ` · ${m.action}` : ''}</span>
      <span>correlation <a href=${`#/messages?correlationId=${encodeURIComponent(m.correlationId)}`}>${m.correlationId}</a></span>
      <span>accepted ${time(m.acceptedAt)}</span>
      <span>updated ${time(m.updatedAt)}</span>
      <button class="refresh" onClick=${record.reload}>Refresh</button>
    </p>
    ${m.error ? html`<div class="problem"><code>${m.error.code}</code> ${m.error.message}${m.error.step ? ` (step ${m.error.step})` : ''}</div>` : null}
    <div class="split">
      <div class="graph-wrap">
        <${Problem} error=${graph.error} />
        ${
          graph.data
            ? html`<${GraphView}
                graph=${graph.data}
                trace=${trace}
                completed=${m.status === 'completed'}
                selected=${selected}
                onSelect=${(s: string) => setSelected(s === selected ? undefined : s)}
              />`
            : null
        }
      </div>
      <div class="trace-pane">
        <h2>Trace ${selected ? html`of <code>${selected}</code> <button onClick=${() => setSelected(undefined)}>all steps</button>` : null}</h2>
        ${shown.map((e) => html`<${TraceEntryView} entry=${e} />`)}
        ${
          m.context
            ? html`<h3>Context</h3>
                <${Json} value=${m.context} />`
            : null
        }
      </div>
    </div>
  </section>`;
}

function TraceEntryView({ entry: e }: { entry: TraceEntry }) {
  const rules = rulesOf(e);
  return html`<div class=${`trace-entry outcome-${e.outcome}`} data-step=${e.step}>
    <div class="head">
      <strong>${e.step}</strong> <span class="muted">${e.service} · ${e.stage}</span>
      <span class=${`outcome outcome-${e.outcome}`}>${e.outcome}</span>
      <span class="muted">attempt ${e.attempt} · ${Math.round(e.durationMs)} ms · ${time(e.start)}${e.node ? ` · ${e.node}` : ''}</span>
    </div>
    ${e.outcome === 'skipped' ? html`<div class="reason">skipped: ${skipReason(e)}</div>` : e.note ? html`<div class="reason">${e.note}</div>` : null}
    ${e.error ? html`<div class="problem"><code>${e.error.code}</code> ${e.error.message}</div>` : null}
    ${
      e.resolver
        ? html`<div class="resolver">
            ${e.resolver.type}${e.resolver.source ? ` ${e.resolver.source}` : ''}${e.resolver.winner ? ` → ${e.resolver.winner}` : ''}${e.resolver.defaults ? ' → defaults' : ''}
            ${
              rules.length
                ? html`<table class="rules">
                    <thead>
                      <tr>
                        <th>rule</th>
                        <th>fired</th>
                        <th>facts read</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${rules.map(
                        (r) =>
                          html`<tr class=${r.fired ? 'fired' : ''}>
                            <td>${r.rule}</td>
                            <td>${r.fired ? 'yes' : 'no'}</td>
                            <td>${r.facts ? html`<code>${JSON.stringify(r.facts)}</code>` : ''}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
                : null
            }
            ${
              e.resolver.params
                ? html`<details>
                    <summary>parameters</summary>
                    <${Json} value=${e.resolver.params} />
                  </details>`
                : null
            }
          </div>`
        : null
    }
    ${
      e.bodyBefore !== undefined || e.bodyAfter !== undefined
        ? html`<div class="body-diff">
            <h4>Body before → after</h4>
            <${BodyDiff} before=${e.bodyBefore} after=${e.bodyAfter} />
          </div>`
        : null
    }
  </div>`;
}
