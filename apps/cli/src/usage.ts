import { isGroup, type CliCommand, type CliEntry, type CliGroup, type CliIO, type CliOption } from './command';

const optionUsage = (o: CliOption) => `[--${o.name}${o.value ? ` ${o.value}` : ''}]`;

/**
 * A command's usage line, made from the declarations the parser uses:
 * `send <itinerary> <action> [json|@file] [--version x] … [--json]`.
 * A group's default subcommand shows in brackets (`faults [list] …`).
 */
export function usageLine(command: CliCommand, group?: CliGroup): string {
  const name = group ? `${group.name} ${command.name === group.defaultSubcommand ? `[${command.name}]` : command.name}` : command.name;
  const args = command.arguments.map((a) => {
    const name = a.repeated ? `${a.name}...` : a.name;
    return a.optional ? `[${name}]` : `<${name}>`;
  });
  return [name, ...args, ...command.options.map(optionUsage)].join(' ');
}

/** Every usage line of an entry: one for a command, one per subcommand for a group. */
export function usageLines(entry: CliEntry): string[] {
  return isGroup(entry) ? entry.subcommands.map((s) => usageLine(s, entry)) : [usageLine(entry)];
}

/** `itinera help`: every usage line, each followed by what it does. */
export function printHelp(io: CliIO, entries: readonly CliEntry[]): void {
  io.out('Usage: itinera <command> [arguments] [options]');
  io.out('       itinera <command> --help     what each option means');
  io.out('');
  io.out('Commands:');
  for (const e of entries) {
    const commands = isGroup(e) ? e.subcommands.map((s) => [usageLine(s, e), s.summary]) : [[usageLine(e), e.summary]];
    for (const [usage, summary] of commands) {
      io.out(`  ${usage}`);
      io.out(`      ${summary}`);
    }
  }
  io.out('  help');
  io.out('      Show this help');
}

/** `itinera <command> --help`: the usage lines, the summary, then each option explained. */
export function printCommandHelp(io: CliIO, entry: CliEntry, sub?: CliCommand): void {
  const group = isGroup(entry) ? entry : undefined;
  const commands = sub ? [sub] : group ? group.subcommands : [entry as CliCommand];
  commands.forEach((c, i) => io.out(`${i === 0 ? 'Usage: ' : '       '}itinera ${usageLine(c, group)}`));
  io.out('');
  if (group && !sub) for (const c of commands) io.out(`${usageLine(c, group).split(' [--')[0]}: ${c.summary}`);
  else io.out(commands[0].summary);
  const options = new Map<string, CliOption>();
  for (const c of commands) for (const o of c.options) if (!options.has(o.name)) options.set(o.name, o);
  if (!options.size) return;
  io.out('');
  io.out('Options:');
  const flag = (o: CliOption) => `--${o.name}${o.value ? ` ${o.value}` : ''}`;
  const width = Math.max(...[...options.values()].map((o) => flag(o).length));
  for (const o of options.values()) io.out(`  ${flag(o).padEnd(width)}  ${o.description}`);
}
