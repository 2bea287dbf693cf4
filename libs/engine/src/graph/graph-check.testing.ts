/**
 * Structure checks of the drawings, for the specs: an XML well-formedness check (tags
 * balanced, attributes quoted, no stray `<` or `&`), and the Mermaid and DOT lines read back.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const text = (s: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) problems.push(`bare & in ${JSON.stringify(s.slice(0, 40))}`);
  };
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    text(xml.slice(i, lt < 0 ? xml.length : lt));
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) {
      problems.push(`bad markup at ${lt}: ${JSON.stringify(xml.slice(lt, lt + 40))}`);
      break;
    }
    for (const value of m[3].matchAll(/="([^"]*)"/g)) text(value[1]);
    if (m[1]) {
      if (stack.pop() !== m[2]) problems.push(`</${m[2]}> closes nothing open at ${lt}`);
    } else if (!m[4]) stack.push(m[2]);
    i = tag.lastIndex;
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

/** Mermaid flowchart lines: node declarations `id[...]`/`id(...)`, edges `a --> b`, subgraph/end balance. */
export function mermaidStructure(src: string): { nodes: Map<string, string>; edges: [string, string][]; subgraphs: string[]; problems: string[] } {
  const nodes = new Map<string, string>();
  const edges: [string, string][] = [];
  const subgraphs: string[] = [];
  const problems: string[] = [];
  let depth = 0;
  const lines = src.trimEnd().split('\n');
  if (lines[0] !== 'flowchart TD') problems.push('first line is not "flowchart TD"');
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if (line.startsWith('%%') || line === 'direction TB') continue;
    if ((m = /^subgraph (\w+)\["([^"]*)"\]$/.exec(line))) {
      subgraphs.push(m[1]);
      depth++;
    } else if (line === 'end') depth--;
    else if ((m = /^(n\d+)(?:\["([^"]*)"\]|\(\["([^"]*)"\]\)|\[\["([^"]*)"\]\])$/.exec(line))) nodes.set(m[1], m[2] ?? m[3] ?? m[4]);
    else if ((m = /^(n\d+) (?:-->|==>|-\.->)(?:\|"([^"|]*)"\|)? (n\d+)$/.exec(line))) edges.push([m[1], m[3]]);
    else problems.push(`unparsed line: ${line}`);
    if (depth < 0) problems.push('end without subgraph');
  }
  if (depth !== 0) problems.push('unbalanced subgraph/end');
  for (const [a, b] of edges) if (!nodes.has(a) || !nodes.has(b)) problems.push(`edge ${a} -> ${b} to an undeclared node`);
  return { nodes, edges, subgraphs, problems };
}

/** DOT read back: braces balanced outside strings, strings closed, clusters, node and edge statements. */
export function dotStructure(src: string): { clusters: string[]; nodes: string[]; edges: [string, string][]; problems: string[] } {
  const problems: string[] = [];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      else if (c === '\n') problems.push('newline inside a string');
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth < 0) problems.push('} without {');
  }
  if (inString) problems.push('unclosed string');
  if (depth !== 0) problems.push('unbalanced braces');
  const str = '"((?:[^"\\\\]|\\\\.)*)"';
  const clusters = [...src.matchAll(/subgraph (cluster_\w+) \{/g)].map((m) => m[1]);
  const nodes = [...src.matchAll(new RegExp(`^\\s*${str} \\[label=`, 'gm'))].map((m) => m[1]);
  const edges = [...src.matchAll(new RegExp(`^\\s*${str} -> ${str}`, 'gm'))].map((m) => [m[1], m[2]] as [string, string]);
  return { clusters, nodes, edges, problems };
}
