import type { Parent, PhrasingContent, Root, Text } from 'mdast';
import { SKIP, visit } from 'unist-util-visit';

import { splitMarkers } from '../../lib/citationMarkers';

/** The attribute a cited marker's `<sup>` carries: its numbers, for the renderer to make buttons of. */
export const CITE_ATTRIBUTE = 'data-cite';

/**
 * A remark plugin: in the answer's text (not in code, nor in a link's text, which is a link already), each
 * marker naming a known citation (`[1]`, `[1, 3]`) becomes a `<sup data-cite="1,3">` holding the marker as
 * text; the renderer turns it into reference buttons. It makes no link, no URL and no HTML: the renderer's
 * safety rules stand as they are.
 */
export function remarkCitations({ known }: { known: ReadonlySet<number> }) {
  return (tree: Root) => {
    if (!known.size) return;
    visit(tree, 'text', (node: Text, index, parent: Parent | undefined) => {
      if (!parent || index === undefined || parent.type === 'link' || parent.type === 'linkReference') return;
      const pieces = splitMarkers(node.value, known);
      if (pieces.every((piece) => piece.kind === 'text')) return;
      const nodes = pieces.map((piece): PhrasingContent => {
        if (piece.kind === 'text') return { type: 'text', value: piece.text };
        // An emphasis node renamed: mdast-util-to-hast renders `data.hName` with `hProperties` and `hChildren`.
        return {
          type: 'emphasis',
          children: [],
          data: {
            hName: 'sup',
            hProperties: { dataCite: piece.numbers.join(',') },
            hChildren: [{ type: 'text', value: piece.text }],
          },
        };
      });
      parent.children.splice(index, 1, ...(nodes as typeof parent.children));
      return [SKIP, index + nodes.length];
    });
  };
}
