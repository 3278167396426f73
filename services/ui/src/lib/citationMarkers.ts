/** The markers an answer cites its sources with: `[1]`, `[1, 3]`, `[1][2]`. A marker is a reference when it
 * names a citation the answer has; any other bracketed number stays text. */

export type MarkerPiece = { kind: 'text'; text: string } | { kind: 'marker'; text: string; numbers: number[] };

// One to three digits (an answer cites a handful of passages), separated by commas.
const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

/** `text` cut at its markers naming a known citation (at least one of their numbers known); the pieces join
 * back to `text`. */
export function splitMarkers(text: string, known: ReadonlySet<number>): MarkerPiece[] {
  const pieces: MarkerPiece[] = [];
  let at = 0;
  for (const match of text.matchAll(MARKER)) {
    const numbers = (match[1] ?? '').split(',').map((number) => Number(number.trim()));
    if (!numbers.some((number) => known.has(number))) continue;
    if (match.index > at) pieces.push({ kind: 'text', text: text.slice(at, match.index) });
    pieces.push({ kind: 'marker', text: match[0], numbers });
    at = match.index + match[0].length;
  }
  if (at < text.length) pieces.push({ kind: 'text', text: text.slice(at) });
  return pieces;
}

/** The known numbers as one stable key (a rendered block changes only when a number it may cite arrives). */
export function knownKey(known: ReadonlySet<number>): string {
  return [...known].sort((a, b) => a - b).join(',');
}
