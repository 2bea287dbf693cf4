import { parseArgs } from './args';
import { BusClient, CliError, jsonLines, readJsonArg } from './bus.client';
import { EXIT, type CliCommand } from './command';

export const sendCommand: CliCommand = {
  name: 'send',
  usage: 'send <itinerary> <action> [json|@file] [--url U] [--api-key K] [--version x] [--wait N] [--correlation-id K]',
  summary: 'POST a message to an itinerary (body default {}); prints the answer (the reply, or the accepted message id)',
  async run({ args, io, env }) {
    const { positional, options, unknown } = parseArgs(args, ['url', 'api-key', 'version', 'wait', 'correlation-id']);
    if (unknown.length || positional.length < 2 || positional.length > 3) {
      io.err(`Usage: itinera ${sendCommand.usage}`);
      return EXIT.usage;
    }
    const [itinerary, action, input] = positional;
    const wait = options.wait === undefined ? undefined : Number(options.wait);
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0)) {
      io.err(`itinera send: --wait takes seconds (a number >= 0); got "${options.wait}"`);
      io.err(`Usage: itinera ${sendCommand.usage}`);
      return EXIT.usage;
    }
    const body = input === undefined ? {} : await readJsonArg(input, 'the message body');
    const client = BusClient.from(options, env);
    const query = options.version ? `?version=${encodeURIComponent(options.version)}` : '';
    const headers: Record<string, string> = { 'itinera-action': action };
    if (wait) headers.prefer = `wait=${wait}`;
    if (options['correlation-id']) headers['itinera-correlation-id'] = options['correlation-id'];
    const answer = await client.request('POST', `/itineraries/${encodeURIComponent(itinerary)}/messages${query}`, {
      body,
      headers,
      timeoutMs: (wait ?? 0) * 1000 + 30_000,
    });
    const messageId = answer.headers.get('itinera-message-id');
    if (!messageId)
      throw new CliError('UNEXPECTED_ANSWER', `the server answered ${answer.status} without Itinera-Message-Id; is --url pointing at an Itinera bus?`);
    io.out(jsonLines(answer.body));
    // The human hint goes to stderr, so stdout stays the answer alone (pipe it to jq).
    const what = answer.status === 200 ? 'replied' : `accepted (${(answer.body as { status?: string })?.status ?? answer.status})`;
    io.err(`${what}: message ${messageId}, correlation ${answer.headers.get('itinera-correlation-id') ?? '-'}; follow it with: itinera trace ${messageId}`);
    return EXIT.ok;
  },
};
