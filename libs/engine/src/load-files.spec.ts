import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listFiles } from './load-files';

describe('listFiles', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('counts links to files, as a Kubernetes ConfigMap volume shows its keys, and skips the rest', async () => {
    dir = mkdtempSync(join(tmpdir(), 'itinera-list-'));
    mkdirSync(join(dir, '..2026_01_01'));
    writeFileSync(join(dir, '..2026_01_01', 'orders.json'), '{}');
    mkdirSync(join(dir, '..2026_01_01', 'policies.json'));
    symlinkSync('..2026_01_01', join(dir, '..data'));
    symlinkSync(join('..data', 'orders.json'), join(dir, 'orders.json'));
    symlinkSync(join('..data', 'policies.json'), join(dir, 'policies.json'));
    symlinkSync('missing.json', join(dir, 'broken.json'));
    writeFileSync(join(dir, 'plain.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), '');
    expect((await listFiles(dir, '.json')).map((f) => f.abs)).toEqual([join(dir, 'orders.json'), join(dir, 'plain.json')]);
  });
});
