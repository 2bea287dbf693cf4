import type { SendAdapter, StepService } from '@itinera/core';

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
