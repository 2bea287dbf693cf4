import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_ADAPTERS } from '@itinera/adapters';
import { ALL_STEPS } from '@itinera/steps';
import { runCli, type CliIO } from '../../apps/cli/src/cli';
import { dotStructure, mermaidStructure, xmlProblems } from '../../libs/engine/src/graph/graph-check.testing';

const SAMPLES = join(__dirname, '..', '..', 'itineraries');

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) };
  const code = await runCli(argv, { services: ALL_STEPS, adapters: ALL_ADAPTERS, io, env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('itinera graph --format', () => {
  it('text stays the default ASCII flow', async () => {
    const r = await cli(['graph', SAMPLES, 'orders']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('===== publication (message box) =====');
    expect((await cli(['graph', SAMPLES, 'orders', '--format', 'text'])).out).toBe(r.out);
  });

  it('mermaid, dot and svg print the drawing of the orders sample', async () => {
    const mermaid = await cli(['graph', SAMPLES, 'orders', '--format', 'mermaid']);
    expect(mermaid.code).toBe(0);
    expect(mermaidStructure(mermaid.out).problems).toEqual([]);
    expect(mermaid.out).toContain('subgraph receive');
    const dot = await cli(['graph', SAMPLES, 'orders', '--format', 'dot']);
    expect(dotStructure(dot.out)).toMatchObject({ problems: [], clusters: ['cluster_receive', 'cluster_send'] });
    const svg = await cli(['graph', SAMPLES, 'orders@1.0.0', '--format', 'svg']);
    expect(svg.out.startsWith('<svg ')).toBe(true);
    expect(xmlProblems(svg.out)).toEqual([]);
  });

  it('--out writes the drawing to a file; --json prints the graph model beside it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'itinera-graph-')), 'orders.svg');
    const r = await cli(['graph', SAMPLES, 'orders', '--format', 'svg', '--out', file, '--json']);
    expect(r.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
    const model = JSON.parse(r.out);
    expect(model).toMatchObject({ name: 'orders', format: 'svg', out: file, publication: { after: 'reply', before: 'order-number' } });
    expect(model.nodes.map((n: { id: string }) => n.id)).toContain('decide');
    // The earlier --json fields are still there for scripts.
    expect(model.steps).toHaveLength(7);
    const plain = await cli(['graph', SAMPLES, 'calculator', '--format', 'mermaid', '--out', file]);
    expect(plain.out).toBe(`calculator@1.0.0: mermaid drawing written to ${file}`);
    expect(readFileSync(file, 'utf8')).toMatch(/^flowchart TD\n/);
  });

  it("README's Mermaid example is what the tool prints for the orders sample", async () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = /\*\*Drawing an itinerary\.\*\*[\s\S]*?```mermaid\n([\s\S]*?)```/.exec(readme);
    expect(block?.[1]).toBe((await cli(['graph', SAMPLES, 'orders', '--format', 'mermaid'])).out + '\n');
  });

  it('refuses an unknown format with exit 2 and the usage line listing every option', async () => {
    const r = await cli(['graph', SAMPLES, 'orders', '--format', 'png']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--format must be one of text, svg, mermaid, dot; got "png"');
    expect(r.err).toMatch(/graph \[dir\] <name\[@version\]> \[--version x\] \[--format text\|svg\|mermaid\|dot\] \[--out FILE\] \[--json\]/);
  });
});
