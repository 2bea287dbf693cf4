import { html } from 'htm/preact';
import { diffLines } from 'diff';

/** A body as the trace keeps it: whole (`value`) or, past the bound, the first bytes of its JSON (`text`). */
interface BoundedBody {
  truncated: boolean;
  bytes: number;
  value?: unknown;
  text?: string;
}

const isBounded = (v: unknown): v is BoundedBody => !!v && typeof v === 'object' && 'truncated' in v && 'bytes' in v && ('value' in v || 'text' in v);

function text(v: unknown): string {
  if (isBounded(v)) return v.truncated ? `${v.text ?? ''}\n… (cut: ${v.bytes} bytes in all)` : text(v.value);
  return (typeof v === 'string' ? v : JSON.stringify(v, null, 2)) ?? '';
}

/** The body before and after a transform, line by line: removed lines red, added green. */
export function BodyDiff({ before, after }: { before: unknown; after: unknown }) {
  const parts = diffLines(text(before), text(after));
  return html`<pre class="diff">
${parts.map(
      (p) =>
        html`<span class=${p.added ? 'added' : p.removed ? 'removed' : 'same'}
          >${p.value
            .replace(/\n$/, '')
            .split('\n')
            .map((line) => `${p.added ? '+ ' : p.removed ? '- ' : '  '}${line}\n`)
            .join('')}</span
        >`,
    )}</pre>`;
}
