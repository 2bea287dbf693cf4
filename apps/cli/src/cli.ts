import { EXIT, type CliCommand, type CliDeps, type CliIO } from './command';
import { graphCommand } from './graph.command';
import { validateCommand } from './validate.command';

export * from './command';

const COMMANDS: CliCommand[] = [validateCommand, graphCommand];

function help(io: CliIO): void {
  io.out('Usage: itinera <command> [arguments]');
  io.out('');
  io.out('Commands:');
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  for (const c of COMMANDS) io.out(`  ${c.usage.padEnd(width)}  ${c.summary}`);
  io.out(`  ${'help'.padEnd(width)}  Show this help`);
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
    io.err(`itinera ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}
