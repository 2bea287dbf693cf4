import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { query } from './api';
import { useApi } from './hooks';
import { PAGE_SIZE } from './messages.view';
import { Pager, Problem, time } from './widgets';

interface AuditEntry {
  at: string;
  operator: string;
  action: string;
  target: string;
  detail?: unknown;
}

/** Every operator action (resubmit, delete, bulk), newest first, with who did it. */
export function AuditView() {
  const [paging, setPaging] = useState<{ cursor?: string; back: string[] }>({ back: [] });
  const list = useApi<{ items: AuditEntry[]; nextCursor?: string }>(`/audit${query({ limit: PAGE_SIZE, cursor: paging.cursor })}`);
  const items = list.data?.items ?? [];
  return html`<section class="audit">
    <h1>Audit <button class="refresh" onClick=${list.reload}>Refresh</button></h1>
    <${Problem} error=${list.error} />
    <table class="rows audit-table">
      <thead>
        <tr>
          <th>at</th>
          <th>operator</th>
          <th>action</th>
          <th>target</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (e) =>
            html`<tr data-action=${e.action}>
              <td>${time(e.at)}</td>
              <td class="operator">${e.operator}</td>
              <td>${e.action}</td>
              <td><code>${e.target}</code></td>
              <td>${e.detail === undefined ? '' : html`<code>${typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)}</code>`}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <${Pager}
      back=${paging.back}
      next=${list.data?.nextCursor}
      rows=${items.length}
      onPage=${(c: string | undefined, b: string[]) => setPaging({ cursor: c, back: b })}
    />
  </section>`;
}
