import { EXIT, type CliCommand, type CliDeps, type CliIO } from './command';
import { faultsCommand } from './faults.command';
import { graphCommand } from './graph.command';
import { sendCommand } from './send.command';
import { traceCommand } from './trace.command';
import { validateCommand } from './validate.command';

export * from './command';

const COMMANDS: CliCommand[] = [validateCommand, graphCommand, sendCommand, traceCommand, faultsCommand];

function help(io: CliIO): void {
  io.out('Usage: itinera <command> [arguments]');
  io.out('');
  io.out('Commands:');
  // Long usages get a line of their own, so the summaries stay in one readable column.
  const width = Math.min(40, Math.max(...COMMANDS.map((c) => c.usage.length)));
  for (const c of COMMANDS) {
    if (c.usage.length <= width) io.out(`  ${c.usage.padEnd(width)}  ${c.summary}`);
    else io.out(`  ${c.usage}\n  ${''.padEnd(width)}  ${c.summary}`);
  }
  io.out(`  ${'help'.padEnd(width)}  Show this help`);
}

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

/**
 * Run the `itinera` command line. Never throws and never prints a stack
 * trace: every failure is a message and an exit code.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const io = deps.io ?? consoleIO;
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    help(io);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`itinera: unknown command "${name}"`);
    help(io);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(`Usage: itinera ${command.usage}`);
    io.out(command.summary);
    return EXIT.ok;
  }
  try {
    return await command.run({ args, services: deps.services, adapters: deps.adapters, io, env: deps.env ?? process.env });
  } catch (err) {
    io.err(`itinera ${name}: ${errorLine(err)}`);
    return EXIT.failed;
  }
}
