import type { MessageRecord, ResolverDecision, TraceEntry } from '@itinera/core';
import { BusClient, jsonLines } from './bus.client';
import { API_KEY_OPTION, EXIT, JSON_OPTION, TOKEN_OPTION, URL_OPTION, type CliCommand } from './command';
import { renderTable } from './table';

export const traceCommand: CliCommand = {
  name: 'trace',
  arguments: [{ name: 'messageId' }],
  options: [URL_OPTION, API_KEY_OPTION, TOKEN_OPTION, { ...JSON_OPTION, description: 'print the message record as JSON (status, trace, reply)' }],
  summary: "Show a message's status and every step it ran: stage, service, outcome, ms, what the rules decided",
  async run({ positional, options, io, env }) {
    const client = BusClient.from(options, env);
    // With the admin token the operator reads any record (a session's too); else the caller's own.
    const { body } = await client.request('GET', `/messages/${encodeURIComponent(positional[0])}`, { admin: true });
    if (options.json) io.out(jsonLines(body));
    else for (const line of renderTrace(body as MessageRecord)) io.out(line);
    return EXIT.ok;
  },
};

const compact = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * What a resolver decided, on one line: `rules order-decision@1.0.0 [not-in-store*] {"action":"OrderCanceled"}`
 * (`*` marks the winning rule; `defaults` says no rule fired).
 */
export function describeDecision(d: ResolverDecision | undefined): string {
  if (!d) return '-';
  const parts: string[] = [d.type];
  if (d.source) parts.push(d.source);
  if (d.fired && d.fired.length) parts.push(`[${d.fired.map((n) => (n === d.winner ? `${n}*` : n)).join(', ')}]`);
  if (d.defaults) parts.push('defaults');
  if (d.params && Object.keys(d.params).length) parts.push(compact(d.params));
  return parts.join(' ');
}

function noteOf(e: TraceEntry): string {
  const parts: string[] = [];
  if (e.error) parts.push(`${e.error.code}: ${e.error.message}`);
  if (e.note) parts.push(e.note);
  return parts.join('; ');
}

/** A message record as the terminal shows it: a header, then one row per trace entry. */
export function renderTrace(r: MessageRecord): string[] {
  const lines = [
    `message      ${r.messageId}`,
    `correlation  ${r.correlationId}`,
    `itinerary    ${r.itinerary}${r.action ? `   action ${r.action}` : ''}${r.session ? `   session ${r.session}` : ''}`,
    `status       ${r.status}   accepted ${r.acceptedAt}   updated ${r.updatedAt}`,
  ];
  if (r.error) lines.push(`error        ${r.error.code}${r.error.step ? ` at step ${r.error.step}` : ''}: ${r.error.message}`);
  if (r.reply) lines.push(`reply        ${compact(r.reply.body)}`);
  lines.push('');
  if (!r.trace.length) {
    lines.push('(no steps traced yet)');
    return lines;
  }
  const rows = r.trace.map((e) => [
    e.step,
    e.stage,
    e.service,
    e.attempt > 1 ? `${e.outcome} (attempt ${e.attempt})` : e.outcome,
    String(e.durationMs),
    describeDecision(e.resolver),
    noteOf(e),
  ]);
  lines.push(...renderTable(['STEP', 'STAGE', 'SERVICE', 'OUTCOME', 'MS', 'DECISION', 'NOTE'], rows, 80));
  return lines;
}
