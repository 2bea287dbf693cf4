import type { FaultRecord } from '@itinera/core';
import { BusClient, jsonLines, readJsonArg } from './bus.client';
import { API_KEY_OPTION, EXIT, JSON_OPTION, text, TOKEN_OPTION, URL_OPTION, type CliCommand, type CliGroup, type CliOption } from './command';
import { renderTable } from './table';

type FaultSummary = Omit<FaultRecord, 'envelope'>;

/** Every faults subcommand talks to the bus as an operator. */
const REMOTE: readonly CliOption[] = [URL_OPTION, TOKEN_OPTION, API_KEY_OPTION];
const ID = [{ name: 'id' }];
const faultPath = (id: string) => `/faults/${encodeURIComponent(id)}`;

const list: CliCommand = {
  name: 'list',
  arguments: [],
  options: [{ name: 'limit', value: 'N', description: 'list at most N faults (newest first)' }, ...REMOTE, JSON_OPTION],
  summary: 'The faults, newest first: id, itinerary, step, error code, attempts',
  async run({ options, io, env }) {
    const limit = text(options, 'limit');
    const { body } = await BusClient.from(options, env).request('GET', `/faults${limit ? `?limit=${encodeURIComponent(limit)}` : ''}`, { admin: true });
    const faults = ((body as { faults?: FaultSummary[] })?.faults ?? []) as FaultSummary[];
    if (options.json) {
      io.out(jsonLines({ faults }));
      return EXIT.ok;
    }
    if (!faults.length) {
      io.out('no faults');
      return EXIT.ok;
    }
    const rows = faults.map((f) => [f.id, f.at, f.itinerary, f.step ?? '-', f.error.code, String(f.attempts), f.messageId, f.error.message]);
    for (const line of renderTable(['ID', 'AT', 'ITINERARY', 'STEP', 'CODE', 'ATTEMPTS', 'MESSAGE', 'ERROR'], rows)) io.out(line);
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

const resubmit: CliCommand = {
  name: 'resubmit',
  arguments: ID,
  options: [
    { name: 'body', value: 'json|@file', description: 'replace the message body (inline JSON or @file)' },
    { name: 'context', value: 'json|@file', description: 'replace the message context (inline JSON or @file)' },
    { name: 'from', value: 'step', description: 'run again from this step (default the step that failed)' },
    ...REMOTE,
    JSON_OPTION,
  ],
  summary: 'Repair a fault (body, context, start step) and run its message again; prints the accepted message',
  async run({ positional, options, io, env }) {
    const repair: Record<string, unknown> = {};
    const body = text(options, 'body');
    const context = text(options, 'context');
    const from = text(options, 'from');
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
  arguments: ID,
  options: [...REMOTE, { ...JSON_OPTION, description: 'print {"deleted": id} instead of a sentence' }],
  summary: 'Delete a fault for good',
  async run({ positional, options, io, env }) {
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
