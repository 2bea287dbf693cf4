import { html } from 'htm/preact';
import { diffLines } from 'diff';

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2)) ?? '';

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
