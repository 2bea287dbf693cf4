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

/**
 * One `--option` a command accepts. The parser and the usage line are both
 * made from these declarations, so the usage cannot leave an option out.
 */
export interface CliOption {
  /** The long name, without the dashes. */
  name: string;
  /** The value's placeholder in the usage line (`--limit N`); none for a switch such as `--json`. */
  value?: string;
  /** One line for `itinera <command> --help`. */
  description: string;
}

/** A positional argument, shown `<name>` when required and `[name]` when optional. */
export interface CliArgument {
  name: string;
  optional?: boolean;
  /** The last argument only: it takes every remaining positional (`<id...>`). */
  repeated?: boolean;
}

/** Parsed options: a string for an option with a value, `true` for a switch given. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/** What a command receives: its parsed arguments and the deps, filled in. */
export interface CommandContext {
  positional: string[];
  options: OptionValues;
  services: readonly StepService<any>[];
  adapters: readonly SendAdapter<any>[];
  io: CliIO;
  env: Record<string, string | undefined>;
  /** Report wrong usage: the problem, then the usage line, on stderr; resolves to exit code 2. */
  usageError(problem: string): number;
}

export interface CliCommand {
  /** The command's name; a subcommand's own name (`show`) inside its group. */
  name: string;
  arguments: readonly CliArgument[];
  options: readonly CliOption[];
  summary: string;
  /** Resolves to the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** A command made of subcommands (`itinera faults show <id>`). */
export interface CliGroup {
  name: string;
  summary: string;
  subcommands: readonly CliCommand[];
  /** The subcommand run when none is named (`itinera faults` lists). */
  defaultSubcommand: string;
}

export type CliEntry = CliCommand | CliGroup;

export const isGroup = (e: CliEntry): e is CliGroup => 'subcommands' in e;

/** Exit codes: 0 success, 1 invalid input or failure, 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An option's value when it is a string (options with a value), else undefined. */
export function text(options: OptionValues, name: string): string | undefined {
  const v = options[name];
  return typeof v === 'string' ? v : undefined;
}

// Options several commands share, declared once so their usage reads the same everywhere.
export const JSON_OPTION: CliOption = { name: 'json', description: 'print the result as JSON on stdout (one document), for scripts' };
export const URL_OPTION: CliOption = { name: 'url', value: 'U', description: "the bus's URL (default $ITINERA_URL, else http://localhost:3000)" };
export const API_KEY_OPTION: CliOption = {
  name: 'api-key',
  value: 'K',
  description: 'sent as X-Api-Key, for a bus with ITINERA_AUTH=required (default $ITINERA_API_KEY)',
};
export const TOKEN_OPTION: CliOption = {
  name: 'token',
  value: 'T',
  description: 'the admin token, sent as Authorization: Bearer (default $ITINERA_ADMIN_TOKEN)',
};
