/** Columns padded to their widest cell; cells longer than `maxCell` are cut with an ellipsis, except in the last column (nothing follows it). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], maxCell = 60): string[] {
  const cut = (s: string) => {
    const one = s.replace(/\s+/g, ' ');
    return one.length > maxCell ? one.slice(0, maxCell - 1) + '…' : one;
  };
  const last = headers.length - 1;
  const cells = [headers.slice(), ...rows.map((r) => r.map((c, i) => (i === last ? c.replace(/\s+/g, ' ') : cut(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}
