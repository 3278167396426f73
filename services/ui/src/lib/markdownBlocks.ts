/**
 * Splits markdown into top-level blocks at blank lines outside fenced code, so a streaming answer can be
 * rendered block by block: finished blocks are memoised and never parsed again, and each frame parses only
 * the growing last block. The blocks join back to the exact text.
 *
 * The cost: constructs that span a blank line outside code become separate blocks. A loose list becomes
 * lists that sit one after another (numbering carries on: CommonMark keeps each item's start number), and a
 * reference-style link defined in another block is not resolved. Model output rarely depends on either.
 */
export const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function splitBlocks(text: string): string[] {
  const blocks: string[] = [];
  let current = '';
  let fence: string | null = null;
  for (const line of text.split(/(?<=\n)/)) {
    const marker = FENCE.exec(line)?.[1];
    if (marker && (fence === null || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === null ? marker : null;
    }
    current += line;
    if (fence === null && line.trim() === '' && current.trim() !== '') {
      blocks.push(current);
      current = '';
    }
  }
  if (current) blocks.push(current);
  return blocks;
}
