import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ErrorDetail } from '@itinera/core';

/** A file the loader read: its absolute path and the name errors show. */
export interface SourceFile {
  abs: string;
  /** Path relative to the working directory, as error lines print it. */
  file: string;
}

export function displayPath(abs: string): string {
  return relative(process.cwd(), abs) || abs;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Files of `dir` whose names end with `ext`, sorted by name; a missing folder has none. */
export async function listFiles(dir: string, ext: string): Promise<SourceFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  // Symbolic links count when they lead to a file: a Kubernetes ConfigMap volume
  // shows each key as a link into its `..data` folder.
  const names: string[] = [];
  for (const e of entries) {
    if (!e.name.endsWith(ext)) continue;
    if (e.isFile() || (e.isSymbolicLink() && (await isFile(join(dir, e.name))))) names.push(e.name);
  }
  return names.sort().map((name) => {
    const abs = join(dir, name);
    return { abs, file: displayPath(abs) };
  });
}

export async function readText(src: SourceFile): Promise<{ text: string } | { error: ErrorDetail }> {
  try {
    // A UTF-8 byte-order mark is not JSON; editors on some systems add it.
    return { text: (await readFile(src.abs, 'utf8')).replace(/^\uFEFF/, '') };
  } catch (err) {
    return {
      error: { code: 'FILE_UNREADABLE', file: src.file, pointer: '', message: `cannot read the file: ${err instanceof Error ? err.message : String(err)}` },
    };
  }
}

/** Parse JSON; a syntax error becomes one detail with its line and column. */
export function parseJson(text: string, file: string): { value: unknown } | { error: ErrorDetail } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: { code: 'INVALID_JSON', file, pointer: '', message: jsonErrorMessage(text, err) } };
  }
}

export async function readJson(src: SourceFile): Promise<{ value: unknown } | { error: ErrorDetail }> {
  const read = await readText(src);
  return 'error' in read ? read : parseJson(read.text, src.file);
}

function jsonErrorMessage(text: string, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const m = /at position (\d+)/.exec(raw);
  const position = m ? Number(m[1]) : text.length;
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  let what = raw
    .replace(/\s*in JSON at position \d+.*$/, '')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of the file (a missing closing bracket or brace?)');
  const trailingComma = before.trimEnd().endsWith(',') && /^\s*[\]}]/.test(text.slice(position));
  if (trailingComma) what += ' (remove the trailing comma)';
  else if (/double-quoted property name/.test(what)) what += ' (property names need double quotes)';
  return `invalid JSON at line ${line}, column ${column}: ${what}`;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
