import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { query } from './api';
import { go, href, useApi, type Route } from './hooks';
import { MessageView } from './message.view';
import { Loading, Pager, Problem, time } from './widgets';

export const PAGE_SIZE = 100;

interface MessageSummary {
  id: string;
  correlationId: string;
  itinerary: string;
  version?: string;
  status: string;
  acceptedAt: string;
  updatedAt: string;
}

const FIELDS = ['id', 'correlationId', 'itinerary', 'status', 'since', 'until'] as const;
const STATUSES = ['', 'accepted', 'running', 'completed', 'faulted'];

/** datetime-local (no zone) → ISO in UTC, what the API reads. */
function iso(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  // Not a time: sent as typed, so the bus answers with a BAD_REQUEST that says what it expects.
  return Number.isNaN(t.getTime()) ? local : t.toISOString();
}

/** Search messages by id, correlation id, itinerary, status and time; one server page at a time. */
export function MessagesView({ route }: { route: Route }) {
  return route.path[1] ? html`<${MessageView} id=${route.path[1]} />` : html`<${MessageList} route=${route} />`;
}

function MessageList({ route }: { route: Route }) {
  const filters = route.params;
  const [paging, setPaging] = useState<{ cursor?: string; back: string[]; key: string }>({ back: [], key: '' });
  const key = JSON.stringify(filters);
  // New filters start again at the first page.
  const cursor = paging.key === key ? paging.cursor : undefined;
  const back = paging.key === key ? paging.back : [];
  const list = useApi<{ items: MessageSummary[]; nextCursor?: string }>(
    `/messages${query({ ...filters, since: iso(filters.since), until: iso(filters.until), limit: PAGE_SIZE, cursor })}`,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const q = new URLSearchParams();
    for (const f of FIELDS) {
      const v = String(form.get(f) ?? '').trim();
      if (v) q.set(f, v);
    }
    go(`#/messages${q.toString() ? `?${q}` : ''}`);
  };
  const items = list.data?.items ?? [];
  return html`<section class="messages">
    <h1>Messages</h1>
    <form class="filters" onSubmit=${submit}>
      <input name="id" placeholder="message id" value=${filters.id ?? ''} />
      <input name="correlationId" placeholder="correlation id" value=${filters.correlationId ?? ''} />
      <input name="itinerary" placeholder="itinerary" value=${filters.itinerary ?? ''} />
      <select name="status">
        ${STATUSES.map((s) => html`<option value=${s} selected=${filters.status === s}>${s || 'any status'}</option>`)}
      </select>
      <label>since <input type="datetime-local" name="since" value=${filters.since ?? ''} /></label>
      <label>until <input type="datetime-local" name="until" value=${filters.until ?? ''} /></label>
      <button type="submit">Search</button>
    </form>
    <${Problem} error=${list.error} />
    <${Loading} when=${list.loading && !list.data} />
    <table class="rows messages-table">
      <thead>
        <tr>
          <th>message</th>
          <th>correlation</th>
          <th>itinerary</th>
          <th>status</th>
          <th>accepted</th>
          <th>updated</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (m) =>
            html`<tr data-id=${m.id}>
              <td><a href=${href('messages', m.id)}>${m.id}</a></td>
              <td><a href=${`#/messages?correlationId=${encodeURIComponent(m.correlationId)}`}>${m.correlationId}</a></td>
              <td>${m.itinerary}${m.version && !m.itinerary.includes('@') ? `@${m.version}` : ''}</td>
              <td><span class=${`status status-${m.status}`}>${m.status}</span></td>
              <td>${time(m.acceptedAt)}</td>
              <td>${time(m.updatedAt)}</td>
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
  </section>`;
}
