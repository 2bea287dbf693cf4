import { RE2JS, type Matcher } from 're2js';

/**
 * JSONata's `RegexEngine`: regular-expression literals run on RE2 (re2js), whose
 * matching time is linear in the input, so a pattern such as `/^(a+)+$/` cannot
 * backtrack for seconds on body data. JSONata builds one engine per evaluation of
 * a literal and uses only `exec` and `lastIndex` (as on a global RegExp).
 * Unsupported syntax (backreferences, lookaround) fails when the expression is
 * compiled, never at run time (see `checkRegexLiterals`).
 */
export class LinearRegExp {
  lastIndex = 0;
  private readonly re: RE2JS;
  private matcher?: Matcher;
  private input?: string;
  /** Set by `linearRegExpEngine`: how long one literal's matches may run (the evaluation's time limit). */
  protected readonly timeLimitMs: number = Infinity;
  private readonly started = Date.now();
  private calls = 0;

  constructor(literal: RegExp) {
    this.re = compileLiteral(literal);
  }

  exec(input: string): RegExpExecArray | null {
    // `$split` and `$replace` walk every match of a long string in one native call, which
    // no evaluation hook interrupts: each literal's engine checks the time limit itself.
    if ((++this.calls & 255) === 0 && Date.now() - this.started > this.timeLimitMs) {
      throw Object.assign(new Error(`regular expression matching ran longer than ${this.timeLimitMs} ms`), { code: 'D1012' });
    }
    const from = this.lastIndex;
    if (from > input.length) {
      this.lastIndex = 0;
      return null;
    }
    // JSONata walks the matches of one string with successive calls: keep its matcher.
    if (this.input !== input || !this.matcher) {
      this.matcher = this.re.matcher(input);
      this.input = input;
    }
    const m = this.matcher;
    if (!m.find(from)) {
      this.lastIndex = 0;
      return null;
    }
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? undefined);
    const result = Object.assign(groups, { index: m.start(), input }) as unknown as RegExpExecArray;
    this.lastIndex = m.end();
    return result;
  }
}

/** The engine JSONata is given: one literal's matches stop past `timeLimitMs` (jsonata's timeout code, D1012). */
export function linearRegExpEngine(timeLimitMs: number): typeof LinearRegExp {
  return class extends LinearRegExp {
    protected override readonly timeLimitMs = timeLimitMs;
  };
}

const compiled = new WeakMap<RegExp, RE2JS>();

/** RE2 form of a JSONata regex literal (JavaScript syntax, flags i and m), compiled once per literal. */
function compileLiteral(literal: RegExp): RE2JS {
  let re = compiled.get(literal);
  if (!re) {
    // translateRegExp maps JavaScript syntax (named groups, \u escapes, the i/m flags) to RE2's.
    re = RE2JS.compile(RE2JS.translateRegExp(literal));
    compiled.set(literal, re);
  }
  return re;
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

/**
 * Compile every regex literal of a parsed expression with RE2: the first one RE2
 * cannot run, as `{ source, position, reason }`, or undefined.
 */
export function checkRegexLiterals(ast: unknown): { source: string; position?: number; reason: string } | undefined {
  const seen = new Set<unknown>();
  const walk = (node: unknown): ReturnType<typeof checkRegexLiterals> => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return undefined;
    seen.add(node);
    const n = node as AstNode;
    if (n.type === 'regex' && n.value instanceof RegExp) {
      try {
        compileLiteral(n.value);
      } catch (err) {
        return { source: `/${n.value.source}/`, position: n.position, reason: err instanceof Error ? err.message : String(err) };
      }
    }
    for (const child of Object.values(n)) {
      const found = walk(child);
      if (found) return found;
    }
    return undefined;
  };
  return walk(ast);
}
