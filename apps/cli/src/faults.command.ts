import type { FaultRecord } from '@itinera/core';
import { parseArgs } from './args';
import { BusClient, jsonLines, readJsonArg } from './bus.client';
import { EXIT, type CliCommand, type CommandContext } from './command';
import { renderTable } from './table';

type FaultSummary = Omit<FaultRecord, 'envelope'>;

const SUBCOMMANDS = ['list', 'show', 'resubmit', 'delete'];

const USAGE = [
  'faults [list] [--limit N] [--json]',
  'faults show <id>',
  'faults resubmit <id> [--body json|@file] [--context json|@file] [--from step]',
  'faults delete <id>',
];

export const faultsCommand: CliCommand = {
  name: 'faults',
  usage: 'faults [list|show <id>|resubmit <id>|delete <id>] [--url U] [--token T] [--api-key K]',
  summary: 'Inspect, repair and resubmit, or delete the messages whose itinerary failed for good',
  async run(ctx) {
    const { positional, options, unknown } = parseArgs(ctx.args, ['url', 'token', 'api-key', 'limit', 'body', 'context', 'from'], ['json']);
    const [sub = 'list', id, ...extra] = positional;
    const needsId = sub === 'show' || sub === 'resubmit' || sub === 'delete';
    if (unknown.length || extra.length || !SUBCOMMANDS.includes(sub) || needsId !== (id !== undefined)) {
      return usage(ctx);
    }
    const client = BusClient.from(options, ctx.env);
    switch (sub) {
      case 'list':
        return list(ctx, client, options);
      case 'show': {
        const { body } = await client.request('GET', `/faults/${encodeURIComponent(id)}`, { admin: true });
        ctx.io.out(jsonLines(body));
        return EXIT.ok;
      }
      case 'resubmit':
        return resubmit(ctx, client, id, options);
      default: {
        await client.request('DELETE', `/faults/${encodeURIComponent(id)}`, { admin: true });
        ctx.io.out(`deleted fault ${id}`);
        return EXIT.ok;
      }
    }
  },
};

function usage({ io }: CommandContext): number {
  io.err('Usage:');
  for (const u of USAGE) io.err(`  itinera ${u}   [--url U] [--token T]`);
  io.err('  (--url defaults to $ITINERA_URL or http://localhost:3000, --token to $ITINERA_ADMIN_TOKEN)');
  return EXIT.usage;
}

async function list({ io }: CommandContext, client: BusClient, options: Record<string, string>): Promise<number> {
  const query = options.limit ? `?limit=${encodeURIComponent(options.limit)}` : '';
  const { body } = await client.request('GET', `/faults${query}`, { admin: true });
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
}

async function resubmit({ io }: CommandContext, client: BusClient, id: string, options: Record<string, string>): Promise<number> {
  const repair: Record<string, unknown> = {};
  if (options.body !== undefined) repair.body = await readJsonArg(options.body, '--body');
  if (options.context !== undefined) repair.context = await readJsonArg(options.context, '--context');
  if (options.from) repair.fromStep = options.from;
  const { body } = await client.request('POST', `/faults/${encodeURIComponent(id)}/resubmit`, { body: repair, admin: true });
  const messageId = (body as { messageId?: string })?.messageId ?? '?';
  io.out(jsonLines(body));
  io.err(`resubmitted: message ${messageId} is accepted again; follow it with: itinera trace ${messageId}`);
  return EXIT.ok;
}
