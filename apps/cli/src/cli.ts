import type { SendAdapter, StepService } from '@itinera/core';
import { graphCommand } from './graph.command';
import { validateCommand } from './validate.command';

/** Where the CLI writes; tests capture it. */
export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export interface CliDeps {
  services: readonly StepService<any>[];
  adapters: readonly SendAdapter<any>[];
  io?: CliIO;
  env?: Record<string, string | undefined>;
}

/** What a command receives: its arguments (command name removed) and the deps, filled in. */
export interface CommandContext {
  args: string[];
  services: readonly StepService<any>[];
  adapters: readonly SendAdapter<any>[];
  io: CliIO;
  env: Record<string, string | undefined>;
}

export interface CliCommand {
  name: string;
  usage: string;
  summary: string;
  /** Resolves to the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Exit codes: 0 success, 1 invalid input or failure, 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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
