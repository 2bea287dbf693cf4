import { parseCommandLine } from './args';
import { EXIT, isGroup, type CliCommand, type CliDeps, type CliEntry, type CliIO } from './command';
import { faultsCommand } from './faults.command';
import { auditCommand } from './audit.command';
import { graphCommand } from './graph.command';
import { sendCommand } from './send.command';
import { traceCommand } from './trace.command';
import { printCommandHelp, printHelp, usageLine } from './usage';
import { validateCommand } from './validate.command';

export * from './command';
export { usageLine, usageLines } from './usage';

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CliEntry[] = [validateCommand, graphCommand, sendCommand, traceCommand, faultsCommand, auditCommand];

/** One line, `CODE: message` when the error has a stable code (a bus problem, a bad argument). */
function errorLine(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, '; ');
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && !message.startsWith(code) ? `${code}: ${message}` : message;
}

const consoleIO: CliIO = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

const wantsHelp = (args: readonly string[]) => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/**
 * Run the `itinera` command line. Never throws and never prints a stack
 * trace: every failure is a message and an exit code.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const io = deps.io ?? consoleIO;
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    printHelp(io, COMMANDS);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.err(`itinera: unknown command "${name}"`);
    printHelp(io, COMMANDS);
    return EXIT.usage;
  }
  let command: CliCommand;
  let args = rest;
  let label = name;
  if (isGroup(entry)) {
    const named = entry.subcommands.find((s) => s.name === rest[0]);
    if (!named && rest[0] !== undefined && !rest[0].startsWith('-')) {
      io.err(`itinera ${name}: unknown subcommand "${rest[0]}"`);
      for (const s of entry.subcommands) io.err(`Usage: itinera ${usageLine(s, entry)}`);
      return EXIT.usage;
    }
    if (wantsHelp(rest)) {
      printCommandHelp(io, entry, named);
      return EXIT.ok;
    }
    command = named ?? entry.subcommands.find((s) => s.name === entry.defaultSubcommand)!;
    if (named) args = rest.slice(1);
    label = `${name} ${command.name}`;
  } else {
    if (wantsHelp(rest)) {
      printCommandHelp(io, entry);
      return EXIT.ok;
    }
    command = entry;
  }
  const usageError = (problem: string) => {
    io.err(`itinera ${label}: ${problem}`);
    io.err(`Usage: itinera ${usageLine(command, isGroup(entry) ? entry : undefined)}`);
    return EXIT.usage;
  };
  const parsed = parseCommandLine(args, command);
  if ('problem' in parsed) return usageError(parsed.problem);
  try {
    return await command.run({ ...parsed, services: deps.services, adapters: deps.adapters, io, env: deps.env ?? process.env, usageError });
  } catch (err) {
    io.err(`itinera ${name}: ${errorLine(err)}`);
    return EXIT.failed;
  }
}
