import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import semver from 'semver';

/**
 * The declared Node range must be true: every installed package (production and dev)
 * runs on the lowest Node each part of the root range admits and on the image's LTS,
 * so `npm ci` warns EBADENGINE on none of them.
 */
const ROOT = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(resolve(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
/** The container image's Node (a current LTS). */
const IMAGE_NODE = '24.0.0';

/** The lowest version of each `||` part of the range: 20.19.0, 22.12.0, … */
function lowestOfEachPart(range: string): string[] {
  return new semver.Range(range).set.map((comparators) => semver.minVersion(comparators.map((c) => c.value).join(' '))!.version);
}

describe('Node versions', () => {
  const declared = pkg.engines.node;

  it('the root range is valid, covers the image LTS and needs require(esm) (>=20.19)', () => {
    expect(semver.validRange(declared)).not.toBeNull();
    expect(semver.satisfies(IMAGE_NODE, declared)).toBe(true);
    expect(semver.satisfies('20.18.0', declared)).toBe(false);
    expect(semver.satisfies('22.12.0', declared)).toBe(false);
  });

  it('the running Node satisfies the root range', () => {
    expect(semver.satisfies(process.versions.node, declared), `Node ${process.versions.node} against "${declared}"`).toBe(true);
  });

  it('every package in package-lock.json runs on each declared minimum and on the image LTS', () => {
    const targets = [...lowestOfEachPart(declared), IMAGE_NODE];
    const refusals: string[] = [];
    let checked = 0;
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (path === '') continue;
      const range = Array.isArray(meta.engines) ? undefined : meta.engines?.node;
      if (range === undefined) continue; // no claim: any Node
      checked++;
      for (const node of targets) {
        if (!semver.satisfies(node, range, { includePrerelease: true })) refusals.push(`${path}@${meta.version} needs node "${range}", not ${node}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(refusals).toEqual([]);
  });
});
