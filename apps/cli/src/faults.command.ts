import type { FaultRecord } from '@itinera/core';
import { BusClient, jsonLines, readJsonArg } from './bus.client';
import { API_KEY_OPTION, EXIT, JSON_OPTION, text, TOKEN_OPTION, URL_OPTION, type CliCommand, type CliGroup, type CliOption, type CommandContext } from './command';
import { renderTable } from './table';

type FaultSummary = Omit<FaultRecord, 'envelope'>;

/** Every faults subcommand talks to the bus as an operator. */
const REMOTE: readonly CliOption[] = [URL_OPTION, TOKEN_OPTION, API_KEY_OPTION];
const ID = [{ name: 'id' }];
/** Several ids act in bulk (POST /faults/bulk, at most 500 a request). */
const IDS = [{ name: 'id', repeated: true }];
const faultPath = (id: string) => `/faults/${encodeURIComponent(id)}`;

const list: CliCommand = {
  name: 'list',
  arguments: [],
  options: [
    { name: 'limit', value: 'N', description: 'list at most N faults (newest first)' },
    { name: 'itinerary', value: 'name', description: 'only faults of this itinerary (name or name@version)' },
    { name: 'step', value: 'id', description: 'only faults of this step' },
    { name: 'code', value: 'code', description: 'only faults with this error code' },
    { name: 'cursor', value: 'cursor', description: 'the next page (printed after a full page)' },
    ...REMOTE,
    JSON_OPTION,
  ],
  summary: 'The faults, newest first: id, itinerary, step, error code, attempts',
  async run({ options, io, env }) {
    const query = new URLSearchParams();
    for (const k of ['limit', 'itinerary', 'step', 'code', 'cursor']) {
      const v = text(options, k);
      if (v) query.set(k, v);
    }
    const qs = query.size ? `?${query}` : '';
    const { body } = await BusClient.from(options, env).request('GET', `/faults${qs}`, { admin: true });
    const page = (body ?? {}) as { items?: FaultSummary[]; faults?: FaultSummary[]; nextCursor?: string };
    // `items` since the list pages; `faults` from a bus before that.
    const faults = page.items ?? page.faults ?? [];
    if (options.json) {
      io.out(jsonLines({ faults, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }));
      return EXIT.ok;
    }
    if (!faults.length) {
      io.out('no faults');
      return EXIT.ok;
    }
    const rows = faults.map((f) => [f.id, f.at, f.itinerary, f.step ?? '-', f.error.code, String(f.attempts), f.messageId, f.error.message]);
    for (const line of renderTable(['ID', 'AT', 'ITINERARY', 'STEP', 'CODE', 'ATTEMPTS', 'MESSAGE', 'ERROR'], rows)) io.out(line);
    if (page.nextCursor) io.err(`more: add --cursor ${page.nextCursor}`);
    return EXIT.ok;
  },
};

const show: CliCommand = {
  name: 'show',
  arguments: ID,
  // The fault is JSON either way; --json is accepted so every data command takes it.
  options: [...REMOTE, JSON_OPTION],
  summary: 'One fault as JSON, the failed envelope included',
  async run({ positional, options, io, env }) {
    const { body } = await BusClient.from(options, env).request('GET', faultPath(positional[0]), { admin: true });
    io.out(jsonLines(body));
    return EXIT.ok;
  },
};

/** `POST /faults/bulk`: one line per fault (or the JSON answer); exit 1 when any failed. */
async function bulk(action: 'resubmit' | 'delete', ids: string[], ctx: Pick<CommandContext, 'options' | 'io' | 'env'>): Promise<number> {
  const { options, io, env } = ctx;
  const client = BusClient.from(options, env);
  const results: BulkResult[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const answer = await client.request('POST', '/faults/bulk', { body: { action, ids: ids.slice(i, i + 500) }, admin: true });
    results.push(...((answer.body as { results?: BulkResult[] })?.results ?? []));
  }
  if (options.json) io.out(jsonLines({ results }));
  else for (const r of results) io.out(r.ok ? `${action === 'delete' ? 'deleted' : 'resubmitted'} ${r.id}${r.messageId ? ` as message ${r.messageId}` : ''}` : `${r.id}: ${r.code}: ${r.message ?? ''}`);
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

interface BulkResult {
  id: string;
  ok: boolean;
  code?: string;
  message?: string;
  messageId?: string;
}

const resubmit: CliCommand = {
  name: 'resubmit',
  arguments: IDS,
  options: [
    { name: 'body', value: 'json|@file', description: 'replace the message body (inline JSON or @file)' },
    { name: 'context', value: 'json|@file', description: 'replace the message context (inline JSON or @file)' },
    { name: 'from', value: 'step', description: 'run again from this step (default the step that failed)' },
    { name: 'from-step', value: 'step', description: 'the same as --from' },
    ...REMOTE,
    JSON_OPTION,
  ],
  summary: 'Repair a fault (body, context, start step) and run its message again; several ids resubmit each unchanged, in bulk',
  async run({ positional, options, io, env, usageError }) {
    const repair: Record<string, unknown> = {};
    const body = text(options, 'body');
    const context = text(options, 'context');
    const from = text(options, 'from') ?? text(options, 'from-step');
    if (positional.length > 1) {
      if (body !== undefined || context !== undefined || from) return usageError('a repair (--body, --context, --from) applies to one fault: give one id');
      return bulk('resubmit', positional, { options, io, env });
    }
    if (body !== undefined) repair.body = await readJsonArg(body, '--body');
    if (context !== undefined) repair.context = await readJsonArg(context, '--context');
    if (from) repair.fromStep = from;
    const answer = await BusClient.from(options, env).request('POST', `${faultPath(positional[0])}/resubmit`, { body: repair, admin: true });
    const messageId = (answer.body as { messageId?: string })?.messageId ?? '?';
    io.out(jsonLines(answer.body));
    io.err(`resubmitted: message ${messageId} is accepted again; follow it with: itinera trace ${messageId}`);
    return EXIT.ok;
  },
};

const remove: CliCommand = {
  name: 'delete',
  arguments: IDS,
  options: [...REMOTE, { ...JSON_OPTION, description: 'print {"deleted": id} instead of a sentence' }],
  summary: 'Delete a fault for good; several ids delete in bulk',
  async run({ positional, options, io, env }) {
    if (positional.length > 1) return bulk('delete', positional, { options, io, env });
    const id = positional[0];
    await BusClient.from(options, env).request('DELETE', faultPath(id), { admin: true });
    io.out(options.json ? jsonLines({ deleted: id }) : `deleted fault ${id}`);
    return EXIT.ok;
  },
};

export const faultsCommand: CliGroup = {
  name: 'faults',
  summary: 'Inspect, repair and resubmit, or delete the messages whose itinerary failed for good',
  subcommands: [list, show, resubmit, remove],
  defaultSubcommand: 'list',
};
