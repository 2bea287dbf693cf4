/**
 * Split `--flag value` / `--flag=value` options from positional arguments.
 * Flags in `booleans` take no value (`--json`).
 */
export function parseArgs(
  args: readonly string[],
  flags: readonly string[],
  booleans: readonly string[] = [],
): { positional: string[]; options: Record<string, string>; unknown: string[] } {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const flag = a.slice(2, eq < 0 ? undefined : eq);
    if (booleans.includes(flag)) {
      options[flag] = eq < 0 ? 'true' : a.slice(eq + 1);
      continue;
    }
    if (!flags.includes(flag)) {
      unknown.push(a);
      continue;
    }
    options[flag] = eq < 0 ? (args[++i] ?? '') : a.slice(eq + 1);
  }
  return { positional, options, unknown };
}

/** The itineraries folder: the argument, else ITINERA_ITINERARIES, else ./itineraries. */
export function itinerariesDir(arg: string | undefined, env: Record<string, string | undefined>): string {
  return arg ?? env.ITINERA_ITINERARIES ?? './itineraries';
}
