/**
 * Which expressions may skip the per-step exit hook. The hook (size checks and the
 * 10 ms yield) costs an awaited call per evaluation step, a third of a small map's
 * time. An expression is "plain" when it only selects from its input, builds objects
 * and arrays, compares, does arithmetic and calls built-ins whose output is a scalar
 * or a shorter string: no lambdas, no variables but `$` (so no `$$`, bindings or
 * recursion), no ranges, regexes, wildcards, descendants, parents, sorting, grouping,
 * `&` or `~>`. Such an expression evaluates each of its steps at most once per value
 * of its input, and builds no string longer than one in its input and no array longer
 * than its step count times the input's values; so its cost and output are bounded
 * by (steps x input size). It skips the hook only when that product is small (see
 * PLAIN_BUDGET); anything else runs with every guard.
 */

/** Largest (steps x input JSON length) evaluated without the hook: tens of milliseconds at worst. */
export const PLAIN_BUDGET = 1 << 17;

const LEAVES = new Set(['name', 'string', 'number', 'value']);
const OPERATORS = new Set(['+', '-', '*', '/', '%', '=', '!=', '<', '<=', '>', '>=', 'and', 'or', 'in']);
// Built-ins whose result is a scalar, or a string no longer than their argument, in one linear pass.
const FUNCTIONS = new Set([
  'exists',
  'count',
  'boolean',
  'not',
  'number',
  'lowercase',
  'uppercase',
  'trim',
  'length',
  'substring',
  'uuid',
  'now',
  'millis',
  'jsString',
  'abs',
  'floor',
  'ceil',
  'round',
  'sum',
  'max',
  'min',
  'average',
  'type',
]);
// Keys whose values are walked; a node with any other key (focus, index, group, tuple, ...) is not plain.
const CHILDREN = new Set(['steps', 'stages', 'predicate', 'lhs', 'rhs', 'expression', 'expressions', 'condition', 'then', 'else', 'expr', 'arguments']);
const SCALARS = new Set(['type', 'value', 'position', 'keepArray', 'consarray', 'keepSingletonArray']);

/** The number of steps of a plain expression's AST, or undefined when it is not plain. */
export function plainWeight(ast: unknown): number | undefined {
  let steps = 0;
  const walk = (node: unknown): boolean => {
    if (Array.isArray(node)) return node.every(walk);
    if (node === null || typeof node !== 'object') return false;
    const n = node as Record<string, unknown>;
    steps++;
    switch (n.type) {
      case 'path':
      case 'condition':
      case 'block':
      case 'filter':
        break;
      case 'binary':
        if (!OPERATORS.has(n.value as string)) return false;
        break;
      case 'unary':
        if (n.value !== '-' && n.value !== '[' && n.value !== '{') return false;
        break;
      case 'variable':
        if (n.value !== '') return false;
        break;
      case 'function': {
        const p = n.procedure as { type?: string; value?: unknown } | undefined;
        if (p?.type !== 'variable' || !FUNCTIONS.has(p.value as string)) return false;
        break;
      }
      default:
        if (!LEAVES.has(n.type as string)) return false;
    }
    for (const [key, value] of Object.entries(n)) {
      if (value === undefined || (key === 'procedure' && n.type === 'function')) continue;
      if (SCALARS.has(key)) {
        if (value !== null && typeof value === 'object') return false;
      } else if (!CHILDREN.has(key) || !walk(value)) return false;
    }
    return true;
  };
  return walk(ast) ? steps : undefined;
}
