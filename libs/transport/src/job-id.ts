/**
 * BullMQ rejects custom job ids that contain ':' (they clash with its key layout)
 * or that look like integers (they clash with its own counter ids). Encode those
 * injectively so any caller id works; the original id travels in the job data.
 */
export function encodeJobId(id: string): string {
  const escaped = id.replace(/%/g, '%25').replace(/:/g, '%3A');
  // '%i' cannot occur in escaped text: every other '%' is followed by 25 or 3A.
  return `${parseInt(escaped, 10)}` === escaped ? `%i${escaped}` : escaped;
}
