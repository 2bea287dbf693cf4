import { parseArgs } from 'node:util';
import type { CliCommand, OptionValues } from './command';

export type ParsedCommandLine = { positional: string[]; options: OptionValues } | { problem: string };

/**
 * Parse a command's arguments against its declarations (node's parseArgs,
 * strict): unknown options, a missing value and a wrong number of positional
 * arguments are problems, reported before the command runs.
 */
export function parseCommandLine(args: readonly string[], command: CliCommand): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const o of command.options) options[o.name] = { type: o.value === undefined ? 'boolean' : 'string' };
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    // Node's messages name the option ("Unknown option '--nope'"); drop its "To specify a positional…" advice.
    return { problem: (err instanceof Error ? err.message : String(err)).split('. To specify')[0].replace(/\.$/, '') };
  }
  const required = command.arguments.filter((a) => !a.optional).length;
  const n = parsed.positionals.length;
  if (n < required) {
    const missing = command.arguments.filter((a) => !a.optional)[n]?.name ?? command.arguments[n]?.name;
    return { problem: `missing <${missing}>` };
  }
  if (n > command.arguments.length && !command.arguments[command.arguments.length - 1]?.repeated) return { problem: `unexpected argument "${parsed.positionals[command.arguments.length]}"` };
  return { positional: parsed.positionals, options: parsed.values as OptionValues };
}

/** The itineraries folder: the argument, else ITINERA_ITINERARIES, else ./itineraries. */
export function itinerariesDir(arg: string | undefined, env: Record<string, string | undefined>): string {
  return arg ?? env.ITINERA_ITINERARIES ?? './itineraries';
}
