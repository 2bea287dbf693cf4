import { BusClient, jsonLines } from './bus.client';
import { API_KEY_OPTION, EXIT, JSON_OPTION, text, TOKEN_OPTION, URL_OPTION, type CliCommand } from './command';
import { renderTable } from './table';

interface AuditEntry {
  at: string;
  operator: string;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
}

/** `itinera audit`: who resubmitted, repaired or deleted which faults (GET /audit), the newest first. */
export const auditCommand: CliCommand = {
  name: 'audit',
  arguments: [],
  options: [
    { name: 'limit', value: 'N', description: 'show at most N entries (default 50)' },
    { name: 'cursor', value: 'cursor', description: 'the next page (printed after a full page)' },
    URL_OPTION,
    TOKEN_OPTION,
    API_KEY_OPTION,
    JSON_OPTION,
  ],
  summary: "The operators' audit trail: who did what to which fault, newest first",
  async run({ options, io, env }) {
    const query = new URLSearchParams();
    for (const k of ['limit', 'cursor']) {
      const v = text(options, k);
      if (v) query.set(k, v);
    }
    const { body } = await BusClient.from(options, env).request('GET', `/audit${query.size ? `?${query}` : ''}`, { admin: true });
    const page = (body ?? {}) as { items?: AuditEntry[]; nextCursor?: string };
    const items = page.items ?? [];
    if (options.json) {
      io.out(jsonLines(page));
      return EXIT.ok;
    }
    if (!items.length) {
      io.out('no audit entries');
      return EXIT.ok;
    }
    for (const line of renderTable(['AT', 'OPERATOR', 'ACTION', 'TARGET'], items.map((e) => [e.at, e.operator, e.action, e.target]))) io.out(line);
    if (page.nextCursor) io.err(`more: add --cursor ${page.nextCursor}`);
    return EXIT.ok;
  },
};
