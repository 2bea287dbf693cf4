import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, query } from './api';
import type { FaultSummary } from './faults.view';
import type { ItineraryGraph } from './graph-model';
import { go, href, useApi } from './hooks';
import { splitItinerary } from './message.view';
import { checkJson, pickSchema, type SchemaProblem } from './schema-check';
import { Json, Loading, Problem, time } from './widgets';

/** GET /faults/{id}: the list's summary plus the envelope to repair. */
interface FaultRecord extends FaultSummary {
  truncated?: string[];
  envelope: { action?: string; body: unknown; context: Record<string, unknown>; trace: unknown[] };
}

const pretty = (v: unknown) => JSON.stringify(v ?? null, null, 2);

/** One fault: what failed, the body and context in an editor checked against the action's schema, resubmit or delete. */
export function FaultView({ id }: { id: string }) {
  const fault = useApi<FaultRecord>(`/faults/${encodeURIComponent(id)}`);
  const ref = fault.data ? splitItinerary(fault.data.itinerary) : undefined;
  const graph = useApi<ItineraryGraph>(
    ref ? `/itineraries/${encodeURIComponent(ref.name)}/graph${query({ format: 'json', version: ref.version })}` : undefined,
  );
  const schemas = useApi(ref ? `/itineraries/${encodeURIComponent(ref.name)}/schemas${query({ version: ref.version })}` : undefined);
  const [body, setBody] = useState<string>();
  const [context, setContext] = useState<string>();
  const [fromStep, setFromStep] = useState<string>();
  const [failure, setFailure] = useState<Error>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!fault.data) return;
    setBody(pretty(fault.data.envelope.body));
    setContext(pretty(fault.data.envelope.context));
    setFromStep(fault.data.step);
  }, [fault.data]);
  const schema = pickSchema(schemas.data, fault.data?.envelope.action);
  const bodyCheck = useMemo(() => (body === undefined ? { problems: [] as SchemaProblem[] } : checkJson(body, schema)), [body, schema]);
  const contextCheck = useMemo(() => (context === undefined ? { problems: [] as SchemaProblem[] } : checkJson(context, { type: 'object' })), [context]);
  if (fault.error) return html`<${Problem} error=${fault.error} />`;
  if (!fault.data || body === undefined) return html`<${Loading} when=${true} />`;
  const f = fault.data;
  const valid = !bodyCheck.problems.length && !contextCheck.problems.length;
  const steps = (graph.data?.nodes ?? []).filter((n) => n.kind === 'step');
  const act = async (what: 'resubmit' | 'delete') => {
    setBusy(true);
    setFailure(undefined);
    try {
      if (what === 'delete') {
        if (!confirm('Delete this fault? Its message will not run again.')) return;
        await api(`/faults/${encodeURIComponent(f.id)}`, { method: 'DELETE' });
        go('#/faults');
        return;
      }
      const repair: Record<string, unknown> = {};
      if (body !== pretty(f.envelope.body)) repair.body = bodyCheck.value;
      if (context !== pretty(f.envelope.context)) repair.context = contextCheck.value;
      if (fromStep && fromStep !== f.step) repair.fromStep = fromStep;
      const r = await api<{ messageId: string }>(`/faults/${encodeURIComponent(f.id)}/resubmit`, { method: 'POST', body: repair });
      go(href('messages', r.messageId));
    } catch (err) {
      setFailure(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="fault" data-id=${f.id}>
    <h1>Fault <code>${f.id}</code></h1>
    <div class="problem"><code class="code">${f.error.code}</code> ${f.error.message}</div>
    <p class="facts">
      <span>${f.itinerary}</span>
      ${f.step ? html`<span>step ${f.step}</span>` : null}
      <span>${f.attempts} attempt(s)</span>
      <span>${time(f.at)}</span>
      <span>message <a href=${href('messages', f.messageId)}>${f.messageId}</a></span>
      ${f.envelope.action ? html`<span>action ${f.envelope.action}</span>` : null}
    </p>
    ${f.truncated?.length ? html`<div class="problem">Parts too large to keep were cut (${f.truncated.join(', ')}): supply them in the body before resubmitting.</div>` : null}
    <div class="editor-grid">
      <label class="editor">
        <span
          >Body
          ${schema ? html`<span class="muted"> · checked against the ${f.envelope.action} schema</span>` : html`<span class="muted"> · no schema for this action</span>`}</span
        >
        <textarea
          class="body-editor"
          spellcheck="false"
          rows="12"
          value=${body}
          onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <${Problems} list=${bodyCheck.problems} cls="body-problems" />
      </label>
      <label class="editor">
        <span>Context</span>
        <textarea
          class="context-editor"
          spellcheck="false"
          rows="12"
          value=${context}
          onInput=${(e: Event) => setContext((e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <${Problems} list=${contextCheck.problems} cls="context-problems" />
      </label>
    </div>
    <div class="actions">
      <label
        >Resubmit from
        <select class="from-step" value=${fromStep ?? ''} onChange=${(e: Event) => setFromStep((e.target as HTMLSelectElement).value || undefined)}>
          ${!f.step ? html`<option value="">the start</option>` : null}
          ${steps.map((s) => html`<option value=${s.id}>${s.id}${s.id === f.step ? ' (failed here)' : ''}</option>`)}
        </select>
      </label>
      <button class="resubmit primary" disabled=${!valid || busy} onClick=${() => act('resubmit')}>Resubmit</button>
      <button class="delete danger" disabled=${busy} onClick=${() => act('delete')}>Delete</button>
    </div>
    <${Problem} error=${failure} />
    <details>
      <summary>Trace up to the fault</summary>
      <${Json} value=${f.envelope.trace} />
    </details>
  </section>`;
}

function Problems({ list, cls }: { list: SchemaProblem[]; cls: string }) {
  if (!list.length) return html`<div class=${`${cls} ok`}>valid</div>`;
  return html`<ul class=${`${cls} schema-errors`}>
    ${list.map((p) => html`<li><code>${p.pointer}</code> ${p.message}</li>`)}
  </ul>`;
}
