import { useEffect, useState } from 'react';

import { ChatApiError, isAbort, networkError } from '../../lib/errors';
import type { SearchHit, SearchPage } from '../../types/chat';

export const SEARCH_DELAY_MS = 150;

export type SearchState =
  | { kind: 'idle' }
  | { kind: 'searching'; hits: SearchHit[] }
  | { kind: 'done'; hits: SearchHit[] }
  | { kind: 'failed'; error: ChatApiError };

interface Answer {
  query: string;
  hits: SearchHit[];
  error: ChatApiError | null;
}

/** Results as the user types: a request once the typing pauses (`SEARCH_DELAY_MS`), the one before aborted,
 * so an older answer never replaces a newer one. The last hits stay shown while the next search runs. */
export function useSearch(
  query: string,
  search: (query: string, signal: AbortSignal) => Promise<SearchPage>,
): SearchState {
  const [answer, setAnswer] = useState<Answer>({ query: '', hits: [], error: null });
  const wanted = query.trim();

  useEffect(() => {
    if (!wanted) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      search(wanted, controller.signal).then(
        (page) => {
          setAnswer({ query: wanted, hits: page.items, error: null });
        },
        (error: unknown) => {
          if (isAbort(error) || controller.signal.aborted) return;
          setAnswer({ query: wanted, hits: [], error: error instanceof ChatApiError ? error : networkError() });
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [wanted, search]);

  if (!wanted) return { kind: 'idle' };
  if (answer.query !== wanted) return { kind: 'searching', hits: answer.hits };
  return answer.error ? { kind: 'failed', error: answer.error } : { kind: 'done', hits: answer.hits };
}
