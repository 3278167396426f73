import { createContext } from 'react';

import type { CitationPart } from '../../types/files';

/** The citations of the answer being rendered, and how to show one's passage. */
export interface AnswerCitations {
  byNumber: ReadonlyMap<number, CitationPart>;
  open: (number: number) => void;
}

export const Citations = createContext<AnswerCitations | null>(null);
