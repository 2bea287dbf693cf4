/** An adapter's address check: an absolute URL with one of `protocols` (e.g. `['http:', 'https:']`). */
export function checkUrlAddress(address: string, protocols: readonly string[]): string | undefined {
  const names = protocols.map((p) => `${p}//`).join(' or ');
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return `must be an absolute ${names} URL`;
  }
  return protocols.includes(url.protocol) ? undefined : `must be a ${names} URL, got ${url.protocol}`;
}
