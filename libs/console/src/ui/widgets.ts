import { html } from 'htm/preact';
import type { ApiError } from './api';

/** An API failure, with its stable code and what to do. */
export function Problem({ error }: { error?: ApiError | Error }) {
  if (!error) return null;
  const code = (error as ApiError).code;
  return html`<div class="problem" role="alert">${code ? html`<code>${code}</code> ` : null}${error.message}</div>`;
}

export function Loading({ when }: { when: boolean }) {
  return when ? html`<div class="loading">Loading…</div>` : null;
}

export const time = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '');

/** JSON shown as text, or nothing. */
export function Json({ value }: { value: unknown }) {
  if (value === undefined) return null;
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

export interface PagerProps {
  /** Cursors of the pages before this one (the first page has none). */
  back: string[];
  next?: string;
  rows: number;
  onPage(cursor: string | undefined, back: string[]): void;
}

/** Server pages by cursor: Next follows `nextCursor`, Previous walks back the cursors seen. */
export function Pager({ back, next, rows, onPage }: PagerProps) {
  const page = back.length + 1;
  return html`<div class="pager">
    <button class="prev" disabled=${!back.length} onClick=${() => onPage(back.length > 1 ? back[back.length - 2] : undefined, back.slice(0, -1))}>
      ← Previous
    </button>
    <span class="page">page ${page} · ${rows} rows</span>
    <button class="next" disabled=${!next} onClick=${() => onPage(next, [...back, next!])}>Next →</button>
  </div>`;
}
