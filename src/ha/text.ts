/** Text cutting that never splits a surrogate pair (an emoji cut in half is invalid UTF-8 on the wire). */

/** The first `max` code points of `s` (s itself when it is short enough). */
export function truncateCodePoints(s: string, max: number): string {
  // Fast path: max UTF-16 units hold at most max code points.
  if (s.length <= max) return s;
  let count = 0;
  let end = 0;
  for (const ch of s) {
    if (count === max) return s.slice(0, end);
    count++;
    end += ch.length;
  }
  return s;
}
