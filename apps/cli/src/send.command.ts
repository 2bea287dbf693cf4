import { BusClient, CliError, jsonLines, readJsonArg } from './bus.client';
import { API_KEY_OPTION, EXIT, JSON_OPTION, text, URL_OPTION, type CliCommand } from './command';

export const sendCommand: CliCommand = {
  name: 'send',
  arguments: [{ name: 'itinerary' }, { name: 'action' }, { name: 'json|@file', optional: true }],
  options: [
    { name: 'version', value: 'x', description: 'the itinerary version (default the latest)' },
    { name: 'wait', value: 'N', description: 'wait up to N seconds for the reply (Prefer: wait=N)' },
    { name: 'correlation-id', value: 'K', description: 'the correlation id to send (Itinera-Correlation-Id)' },
    URL_OPTION,
    API_KEY_OPTION,
    { ...JSON_OPTION, description: 'print {messageId, correlationId, status, body} instead of the answer alone' },
  ],
  summary: 'POST a message to an itinerary (body default {}); prints the answer (the reply, or the accepted message id)',
  async run({ positional, options, io, env, usageError }) {
    const [itinerary, action, input] = positional;
    const waitArg = text(options, 'wait');
    const wait = waitArg === undefined ? undefined : Number(waitArg);
    if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0)) return usageError(`--wait takes seconds (a number >= 0); got "${waitArg}"`);
    const body = input === undefined ? {} : await readJsonArg(input, 'the message body');
    const client = BusClient.from(options, env);
    const version = text(options, 'version');
    const query = version ? `?version=${encodeURIComponent(version)}` : '';
    const headers: Record<string, string> = { 'itinera-action': action };
    if (wait) headers.prefer = `wait=${wait}`;
    const correlationId = text(options, 'correlation-id');
    if (correlationId) headers['itinera-correlation-id'] = correlationId;
    const answer = await client.request('POST', `/itineraries/${encodeURIComponent(itinerary)}/messages${query}`, {
      body,
      headers,
      timeoutMs: (wait ?? 0) * 1000 + 30_000,
    });
    const messageId = answer.headers.get('itinera-message-id');
    if (!messageId)
      throw new CliError('UNEXPECTED_ANSWER', `the server answered ${answer.status} without Itinera-Message-Id; is --url pointing at an Itinera bus?`);
    const correlation = answer.headers.get('itinera-correlation-id');
    if (options.json) {
      io.out(jsonLines({ messageId, correlationId: correlation, status: answer.status, body: answer.body }));
      return EXIT.ok;
    }
    io.out(jsonLines(answer.body));
    // The human hint goes to stderr, so stdout stays the answer alone (pipe it to jq).
    const what = answer.status === 200 ? 'replied' : `accepted (${(answer.body as { status?: string })?.status ?? answer.status})`;
    io.err(`${what}: message ${messageId}, correlation ${correlation ?? '-'}; follow it with: itinera trace ${messageId}`);
    return EXIT.ok;
  },
};
