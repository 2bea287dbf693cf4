/**
 * Just enough of the Dockerfile and .dockerignore grammars for the production-install test
 * to follow what the image does (instructions, stages, COPY, ENV, RUN), with no container engine.
 */

export interface Instruction {
  cmd: string;
  /** Everything after the keyword, continuation lines joined. */
  rest: string;
  /** `--name=value` flags at the start of `rest` (COPY --from, RUN --mount). */
  flags: Record<string, string>;
  /** `rest` without those flags. */
  body: string;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) pending += `${line.slice(0, -1).trim()} `;
    else {
      lines.push(pending + line);
      pending = '';
    }
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, cmd, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const flags: Record<string, string> = {};
    let body = rest;
    for (let m; (m = /^--([\w-]+)=(\S+)\s+/.exec(body)); body = body.slice(m[0].length)) flags[m[1]] = m[2];
    const ins: Instruction = { cmd: cmd.toUpperCase(), rest, flags, body };
    if (ins.cmd === 'FROM') {
      const [image, as, name] = body.split(/\s+/);
      const resolved = image.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '');
      stages.push({ image: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (ins.cmd === 'ARG' && stages.length === 0) {
      const [k, v = ''] = body.split('=');
      args[k] = v;
    } else if (stages.length) stages[stages.length - 1].instructions.push(ins);
  }
  return { args, stages };
}

/** `ENV A=1 B=2` pairs of a stage, in order (no quoting: this Dockerfile uses none). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.cmd === 'ENV')) {
    for (const pair of i.body.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** The exec (JSON array) form of ENTRYPOINT / CMD / HEALTHCHECK CMD. */
export function execForm(text: string): string[] {
  return JSON.parse(text.slice(text.indexOf('['))) as string[];
}

/**
 * Whether .dockerignore keeps `path` (relative, slash-separated) out of the build context:
 * Go filepath.Match patterns plus `**`, a matched folder excludes all under it, the last
 * matching line wins and `!` re-includes.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '.*'
            : seg
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  const parts = path.split('/');
  let ignored = false;
  for (const rule of rules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.re.test(parts.slice(0, n).join('/'))) {
        ignored = !rule.negate;
        break;
      }
    }
  }
  return ignored;
}
