import type { ConversationDetail, ConversationSummary } from '../types/chat';

/** When to look again, after a conversation's first answer, for the title the server has the model write then
 * (in the background: the answer's stream has ended before it is asked for). */
export const TITLE_CHECKS_MS = [1000, 3000, 7000];

/** A conversation's first answer has just ended: its only two messages, nothing earlier. */
export function isFirstAnswer(detail: ConversationDetail): boolean {
  return detail.messages.earlier === null && detail.messages.items.length === 2;
}

/**
 * Reads the conversations (`read`) after each delay until conversation `id` has a title other than `shown`,
 * and hands that conversation to `found`; the first words stay when no title comes. Returns a cancel.
 */
export function followTitle(
  id: string,
  shown: string,
  read: () => Promise<ConversationSummary[]>,
  found: (conversation: ConversationSummary) => void,
  delays: number[] = TITLE_CHECKS_MS,
): () => void {
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = (index: number, waited: number) => {
    const delay = delays[index];
    if (delay === undefined || cancelled) return;
    timer = setTimeout(() => {
      void read().then(
        (items) => {
          if (cancelled) return;
          const now = items.find((item) => item.id === id);
          if (now && now.title !== shown) found(now);
          else check(index + 1, delay);
        },
        () => {
          check(index + 1, delay); // the next look may fare better
        },
      );
    }, delay - waited);
  };
  check(0, 0);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
