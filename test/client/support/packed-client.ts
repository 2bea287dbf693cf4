import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { REPO_ROOT } from '@itinera/testing';

const exec = promisify(execFile);
export const CLIENT_DIR = join(REPO_ROOT, 'libs', 'client');
const version = (name: string) => (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

export interface PackedFile {
  path: string;
  size: number;
}

/** A temporary project outside the repository with the client's tarball and `ws` installed. */
export interface ClientProject {
  dir: string;
  tarball: string;
  files: PackedFile[];
  /** What `npm install` printed, warnings included. */
  installLog: string;
  /** The installed package's folder (node_modules/@itinera/client). */
  installed: string;
  write(name: string, text: string): string;
  /** Runs `node <file> ...args` in the project; rejects on a non-zero exit. */
  node(file: string, ...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Typechecks files of the project as a user's nodenext project would (the repository's tsc). */
  typecheck(files: string[]): Promise<string>;
  remove(): void;
}

/**
 * Packs libs/client (already built into libs/client/dist by the build) with `npm pack`
 * and installs the tarball, `ws`, and the typings a TypeScript user adds, into a new
 * project under the OS temp folder, so nothing resolves from the repository.
 */
export async function installPackedClient(): Promise<ClientProject> {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-client-user-'));
  const npm = async (args: string[], cwd: string) => (await exec('npm', args, { cwd, maxBuffer: 16 << 20, timeout: 300_000 })).stdout;
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], CLIENT_DIR)) as {
    filename: string;
    files: PackedFile[];
  }[];
  const tarball = join(dir, packed[0]!.filename);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'client-user', version: '1.0.0', private: true }, null, 2));
  const deps = [tarball, `ws@${version('ws')}`, `@types/ws@${version('@types/ws')}`, `@types/node@${version('@types/node')}`];
  // Warnings on: the test asserts no EBADENGINE (an engine the running Node does not meet).
  const install = await exec('npm', ['install', ...deps, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=warn'], {
    cwd: dir,
    maxBuffer: 16 << 20,
    timeout: 300_000,
  });
  const project: ClientProject = {
    dir,
    tarball,
    files: packed[0]!.files,
    installLog: `${install.stdout}\n${install.stderr}`,
    installed: join(dir, 'node_modules', '@itinera', 'client'),
    write(name, text) {
      writeFileSync(join(dir, name), text);
      return name;
    },
    async node(file, ...args) {
      try {
        return await exec(process.execPath, [file, ...args], { cwd: dir, timeout: 60_000 });
      } catch (err) {
        const e = err as Error & { stdout?: string; stderr?: string };
        throw new Error(`node ${file} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      }
    },
    async typecheck(files) {
      const compilerOptions = {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2));
      try {
        return (await exec(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, timeout: 120_000 })).stdout;
      } catch (err) {
        throw new Error(`tsc in the client's user project failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return project;
}

/** The first ```ts block after `heading` in a Markdown file of the repository. */
export function snippetAfter(markdownFile: string, heading: string): string {
  const md = readFileSync(join(REPO_ROOT, markdownFile), 'utf8');
  const at = md.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${markdownFile}: no heading "${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(md.slice(at));
  if (!block) throw new Error(`${markdownFile}: no ts block after "${heading}"`);
  return block[1]!;
}

/** A TypeScript source as a user's build would emit it: an ES module or a CommonJS module. */
export function compile(source: string, format: 'esm' | 'cjs'): string {
  const module = format === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
  return ts.transpileModule(source, { compilerOptions: { module, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}
