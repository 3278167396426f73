/**
 * Bounds what the markdown renderer is given, so no answer can make it throw or stall. The parser and the
 * tree-to-React steps recurse once per level of nesting: 3,000 nested blockquotes (`>>>…`) or list items
 * (`- - - …`) overflow the stack ("Maximum call stack size exceeded"), and a run of thousands of `*` or `_`
 * nests emphasis as deep, in time that grows with the square of the run.
 *
 * One pass over a block's lines, outside fenced code (as `splitBlocks` sees them):
 * - a line's containers (`>` and list markers) beyond `MAX_NESTING` are escaped: the rest of the line is text;
 * - a run of more than `MAX_DELIMITER_RUN` `*` or `_` is escaped, so it shows as written instead of nesting;
 * - in a block with more than `MAX_INLINE_DELIMITERS` emphasis or link delimiters, all of them are escaped.
 * Linear in the block's length, and a line's bound never depends on the lines after it, so a block that is
 * still streaming is bounded the same way once it is finished. Ordinary markdown comes out unchanged.
 */
import { FENCE } from './markdownBlocks';

// Far below the depth that overflows the stack (hundreds), above what answers use (quotes of quotes of
// quotes, lists four or five deep), and shallow enough that the indents fit the message column.
export const MAX_NESTING = 12;
export const MAX_DELIMITER_RUN = 16;
// Emphasis and link delimiters (runs of `*` or `_`, and `[`) one block may hold as markup: the parser's time
// grows with the square of their number (5,000 nested `*a … a*` froze Chromium for a minute). Beyond this a
// block's `*`, `_` and `[` show as written.
export const MAX_INLINE_DELIMITERS = 400;
const INLINE_DELIMITER = /\*+|_+|\[/g;
const INLINE_DELIMITER_CHAR = /[*_[]/g;

const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LONG_DELIMITER_RUN = new RegExp(`\\*{${MAX_DELIMITER_RUN + 1},}|_{${MAX_DELIMITER_RUN + 1},}`, 'g');

export function boundMarkdown(block: string): string {
  if (!mayNeedBound(block)) return block;
  const lines = block.split(/(?<=\n)/);
  const prose: number[] = []; // the lines outside fenced code, but for thematic breaks
  let delimiters = 0;
  let fence: string | null = null;
  lines.forEach((line, index) => {
    const marker = FENCE.exec(line)?.[1];
    if (marker && (fence === null || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === null ? marker : null;
    } else if (fence === null && !THEMATIC_BREAK.test(line.trimEnd())) {
      prose.push(index);
      delimiters += countInlineDelimiters(line);
    }
  });
  const overBudget = delimiters > MAX_INLINE_DELIMITERS;
  for (const index of prose) {
    const [prefix, rest] = capNesting(lines[index] ?? '');
    lines[index] = prefix + (overBudget ? rest.replace(INLINE_DELIMITER_CHAR, '\\$&') : escapeLongRuns(rest));
  }
  return lines.join('');
}

/** A cheap test that lets an ordinary block through untouched (most of them, on every frame). */
function mayNeedBound(block: string): boolean {
  LONG_DELIMITER_RUN.lastIndex = 0;
  if (LONG_DELIMITER_RUN.test(block)) return true;
  if (countInlineDelimiters(block) > MAX_INLINE_DELIMITERS) return true;
  let markers = 0;
  for (let i = 0; i < block.length; i++) {
    const c = block.charCodeAt(i);
    if (c === 10) markers = 0;
    // '>', '-', '+', '*', and a digit (an ordered list's number)
    else if (c === 62 || c === 45 || c === 43 || c === 42 || (c >= 48 && c <= 57)) {
      if (++markers > MAX_NESTING) return true;
    }
  }
  return false;
}

function countInlineDelimiters(block: string): number {
  let count = 0;
  INLINE_DELIMITER.lastIndex = 0;
  while (INLINE_DELIMITER.exec(block) !== null) count += 1;
  return count;
}

/**
 * The line split after its container markers (`>`, list bullets and numbers), with a backslash before marker
 * number `MAX_NESTING + 1` if it has one (the rest of the line is then text).
 */
function capNesting(line: string): [prefix: string, rest: string] {
  let i = 0;
  let depth = 0;
  for (;;) {
    const start = i;
    while (line[i] === ' ' || line[i] === '\t') i++;
    let escapeAt: number;
    if (line[i] === '>') {
      escapeAt = i;
      i += 1;
    } else if ((line[i] === '-' || line[i] === '+' || line[i] === '*') && endsMarker(line, i + 1)) {
      escapeAt = i;
      i += 1;
    } else {
      const digits = /^\d{1,9}[.)]/.exec(line.slice(i, i + 10))?.[0];
      if (!digits || !endsMarker(line, i + digits.length)) return [line.slice(0, start), line.slice(start)];
      escapeAt = i + digits.length - 1; // `1\.` is text
      i += digits.length;
    }
    depth += 1;
    if (depth > MAX_NESTING) return [`${line.slice(0, escapeAt)}\\`, line.slice(escapeAt)];
  }
}

function endsMarker(line: string, at: number): boolean {
  const next = line[at];
  return next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
}

function escapeLongRuns(line: string): string {
  return line.replace(LONG_DELIMITER_RUN, (run) => run.replace(/./g, '\\$&'));
}
