import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, isGroup, runCli, usageLine, type CliCommand, type CliGroup, type CliIO } from '../../apps/cli/src/cli';
import { FAKE_ADAPTERS, FAKE_SERVICES } from '../engine/fake-services';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) };
  const code = await runCli(argv, { services: FAKE_SERVICES, adapters: FAKE_ADAPTERS, io, env: {} });
  return { code, out, err };
}

/** Every command line the CLI has: [argv prefix, command, group]. */
type Line = [string[], CliCommand, CliGroup | undefined];
const ALL: Line[] = COMMANDS.flatMap((e): Line[] => (isGroup(e) ? e.subcommands.map((s): Line => [[e.name, s.name], s, e]) : [[[e.name], e, undefined]]));

/** A value each option accepts without the command failing before it runs. */
const sample = (placeholder: string) =>
  placeholder === 'N' ? '1' : placeholder.includes('json') ? '{}' : placeholder.includes('|') ? placeholder.split('|')[0] : 'x';

describe('itinera usage lines', () => {
  it.each(ALL.map(([argv, c, g]) => [argv.join(' '), c, g] as const))('%s: the usage line lists every option the parser accepts', async (_, command, group) => {
    const line = usageLine(command, group);
    const listed = [...line.matchAll(/\[--([a-z-]+)(?: ([^\]]+))?\]/g)].map((m) => [m[1], m[2]]);
    expect(listed).toEqual(command.options.map((o) => [o.name, o.value]));
    // Each listed option is accepted: the command gets past parsing (a usage problem would exit 2).
    const prefix = group ? [group.name, command.name] : [command.name];
    const args = command.arguments.filter((a) => !a.optional).map(() => 'x');
    // A bus that is not there: remote commands fail fast (exit 1) after parsing.
    const offline = command.options.some((o) => o.name === 'url') ? ['--url', 'http://127.0.0.1:1'] : [];
    for (const [name, value] of listed) {
      const r = await cli([...prefix, ...args, ...(name === 'url' ? [] : offline), `--${name}`, ...(value ? [sample(value)] : [])]);
      expect(r.code, `--${name}`).not.toBe(2);
      expect(r.err.join('\n'), `--${name}`).not.toMatch(/Unknown option|Usage:/);
    }
    // And one it does not list is refused, with the same usage line.
    const refused = await cli([...prefix, ...args, '--not-an-option']);
    expect(refused.code).toBe(2);
    expect(refused.err).toEqual([expect.stringContaining("Unknown option '--not-an-option'"), `Usage: itinera ${line}`]);
  });

  it('apps/cli/README.md shows every usage line as the CLI prints it', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'apps', 'cli', 'README.md'), 'utf8');
    for (const [, command, group] of ALL) expect(readme).toContain(`itinera ${usageLine(command, group)}\n`);
  });

  it('every data command takes --json', () => {
    for (const [argv, command] of ALL)
      expect(
        command.options.map((o) => o.name),
        argv.join(' '),
      ).toContain('json');
  });

  it('help and <command> --help print the same usage lines, and explain each option', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    for (const [argv, command, group] of ALL) {
      const line = usageLine(command, group);
      expect(help.out, argv.join(' ')).toContain(`  ${line}`);
      const own = await cli([...argv, '--help']);
      expect(own.code).toBe(0);
      expect(own.out[0]).toBe(`Usage: itinera ${line}`);
      for (const o of command.options)
        expect(own.out.join('\n')).toMatch(new RegExp(`^  --${o.name}\\b.*  ${o.description.slice(0, 20).replace(/[$()[\]{}.*+?^|\\]/g, '\\$&')}`, 'm'));
    }
  });

  it('validate --json: findings with code, file and pointer (exit 1); the contents when valid (exit 0)', async () => {
    const fixtures = join(__dirname, '..', 'fixtures');
    const bad = await cli(['validate', join(fixtures, 'invalid', 'missing-policy'), '--json']);
    expect(bad.code).toBe(1);
    const found = JSON.parse(bad.out.join('\n'));
    expect(found).toMatchObject({ valid: false, code: 'ITINERARIES_INVALID' });
    expect(found.errors[0]).toEqual({
      code: 'ITINERARY_INVALID',
      file: expect.stringMatching(/missing-policy\/itinerary\.json$/),
      pointer: '/steps/0/resolver/policy',
      message: expect.stringContaining('no policy "order-decison"'),
    });
    const ok = await cli(['validate', join(fixtures, 'valid'), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out.join('\n'))).toMatchObject({ valid: true, maps: expect.any(Array), schemas: expect.any(Array) });
  });
});
