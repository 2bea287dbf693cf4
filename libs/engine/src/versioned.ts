import semver from 'semver';

/**
 * Documents keyed by name and semver version, every version side by side.
 * "Latest" is the highest release; prereleases count only when a name has no
 * release yet, so deploying 2.0.0-beta.1 does not move unversioned traffic.
 */
export class Versioned<T> {
  private readonly byName = new Map<string, Map<string, T>>();
  /** Latest version by name: looked up on every message, so sorted once. */
  private readonly latestCache = new Map<string, string | undefined>();

  add(name: string, version: string, item: T): void {
    this.latestCache.delete(name);
    let versions = this.byName.get(name);
    if (!versions) this.byName.set(name, (versions = new Map()));
    versions.set(version, item);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** Versions of `name`, ascending by semver. */
  versions(name: string): string[] {
    return [...(this.byName.get(name)?.keys() ?? [])].sort(semver.compare);
  }

  latest(name: string): string | undefined {
    if (this.latestCache.has(name)) return this.latestCache.get(name);
    const versions = this.versions(name);
    const releases = versions.filter((v) => semver.prerelease(v) === null);
    const latest = (releases.length ? releases : versions).at(-1);
    this.latestCache.set(name, latest);
    return latest;
  }

  /**
   * The exact version, else the highest one a semver range allows ("1.x",
   * "^1.2"), else undefined. No version: the latest.
   */
  resolve(name: string, version?: string): string | undefined {
    const versions = this.byName.get(name);
    if (!versions) return undefined;
    if (version === undefined || version === '' || version === 'latest') return this.latest(name);
    if (versions.has(version)) return version;
    if (semver.valid(version)) return undefined;
    const range = semver.validRange(version);
    return range ? (semver.maxSatisfying([...versions.keys()], range) ?? undefined) : undefined;
  }

  get(name: string, version?: string): T | undefined {
    const v = this.resolve(name, version);
    return v === undefined ? undefined : this.byName.get(name)?.get(v);
  }

  all(): T[] {
    return this.names().flatMap((n) => this.versions(n).map((v) => this.byName.get(n)!.get(v)!));
  }
}
