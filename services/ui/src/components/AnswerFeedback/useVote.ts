import { useState } from 'react';

import { ChatApiError, networkError } from '../../lib/errors';
import type { Feedback, Rating, VoteBody } from '../../types/chat';

/** Saves a vote (null: withdraws it) and answers with what is saved. */
export type SaveVote = (vote: VoteBody | null) => Promise<Feedback | null>;

/**
 * The user's vote on one answer: a thumb saves at once (the same thumb again withdraws it); a thumbs down then
 * asks why, which the user may answer or skip. Shown as saved: a vote that failed leaves the one before.
 */
export function useVote(saved: Feedback | null, save: SaveVote) {
  const [current, setCurrent] = useState<Feedback | null>(saved);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ChatApiError | null>(null);
  const [asking, setAsking] = useState(false);

  const send = async (vote: VoteBody | null): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      setCurrent(await save(vote));
      return true;
    } catch (failure) {
      setError(failure instanceof ChatApiError ? failure : networkError());
      return false;
    } finally {
      setBusy(false);
    }
  };

  const choose = async (rating: Rating) => {
    if (current?.rating === rating) {
      setAsking(false);
      await send(null);
      return;
    }
    const saved = await send({ rating });
    setAsking(saved && rating === 'down');
  };

  const explain = async (reason: NonNullable<Feedback['reason']> | null, comment: string) => {
    if (await send({ rating: 'down', reason, comment: comment.trim() || null })) setAsking(false);
  };

  return {
    current,
    busy,
    error,
    asking,
    choose,
    explain,
    dismiss: () => {
      setAsking(false);
    },
  };
}

export type VoteState = ReturnType<typeof useVote>;
