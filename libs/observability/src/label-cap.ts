/**
 * Bounds a label's values: the first `max` distinct values keep their own series,
 * later ones share `other`. Metrics stay bounded whatever the traffic names.
 */
export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly other = 'other',
  ) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return this.other;
    this.seen.add(v);
    return v;
  }
}
