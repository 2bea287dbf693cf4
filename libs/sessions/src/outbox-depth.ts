/** The `top` deepest outboxes, the deepest first (then by session id, so the order is stable). */
export function deepestOf(depths: { session: string; depth: number }[], top: number): { session: string; depth: number }[] {
  return depths.sort((a, b) => b.depth - a.depth || (a.session < b.session ? -1 : 1)).slice(0, top);
}
