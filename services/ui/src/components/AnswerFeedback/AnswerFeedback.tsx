import ThumbsDown from 'lucide-react/icons/thumbs-down';
import ThumbsUp from 'lucide-react/icons/thumbs-up';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { Feedback } from '../../types/chat';
import { ErrorMessage } from '../ErrorMessage';
import { IconButton } from '../IconButton';
import styles from './AnswerFeedback.module.css';
import { useVote, type SaveVote, type VoteState } from './useVote';

/** The reasons the api takes for a thumbs down (`feedback/vocabulary.py`), in the order offered. */
const DOWN_REASONS = {
  inaccurate: 'feedback.reason.inaccurate',
  unhelpful: 'feedback.reason.unhelpful',
  incomplete: 'feedback.reason.incomplete',
  ignored_instructions: 'feedback.reason.ignoredInstructions',
  harmful: 'feedback.reason.harmful',
  other: 'feedback.reason.other',
} as const;
type DownReason = keyof typeof DOWN_REASONS;

interface Props {
  /** The vote saved with the answer, if any. */
  saved: Feedback | null;
  save: SaveVote;
  /** For the thumbs: `voted` while a vote is saved. */
  className?: string | undefined;
  votedClassName?: string | undefined;
}

/** An answer's thumbs, the reasons a thumbs down may give, and a vote that failed. (Its own chunk: loaded with
 * the first finished answer, as the markdown renderer is.) */
export function AnswerFeedback({ saved, save, className = '', votedClassName = '' }: Props) {
  const vote = useVote(saved, save);
  return (
    <>
      <span className={`${className} ${vote.current ? votedClassName : ''}`}>
        <VoteButtons vote={vote} />
      </span>
      {vote.asking && <DownReasons vote={vote} />}
      <VoteError vote={vote} />
    </>
  );
}

/** Thumbs up and down, each pressed while it is the user's vote. */
function VoteButtons({ vote }: { vote: VoteState }) {
  const { t } = useTranslation();
  const rating = vote.current?.rating;
  return (
    <>
      <IconButton
        label={t('feedback.up')}
        icon={<ThumbsUp size={16} aria-hidden="true" fill={rating === 'up' ? 'currentColor' : 'none'} />}
        aria-pressed={rating === 'up'}
        disabled={vote.busy}
        onClick={() => void vote.choose('up')}
      />
      <IconButton
        label={t('feedback.down')}
        icon={<ThumbsDown size={16} aria-hidden="true" fill={rating === 'down' ? 'currentColor' : 'none'} />}
        aria-pressed={rating === 'down'}
        disabled={vote.busy}
        onClick={() => void vote.choose('down')}
      />
    </>
  );
}

/** After a thumbs down: why (one reason from a short list, and words of the user's own), or skip. */
function DownReasons({ vote }: { vote: VoteState }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState<DownReason | null>(asDownReason(vote.current?.reason));
  const [comment, setComment] = useState(vote.current?.comment ?? '');
  const commentId = useId();
  return (
    <form
      className={styles.reasons}
      aria-label={t('feedback.why')}
      onSubmit={(event) => {
        event.preventDefault();
        void vote.explain(reason, comment);
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          vote.dismiss();
        }
      }}
    >
      <fieldset className={styles.choices}>
        <legend>{t('feedback.why')}</legend>
        {Object.entries(DOWN_REASONS).map(([value, label]) => (
          <label key={value} className={styles.choice}>
            <input
              type="radio"
              name="reason"
              value={value}
              checked={reason === value}
              onChange={() => {
                setReason(value as DownReason);
              }}
            />
            {t(label)}
          </label>
        ))}
      </fieldset>
      <label htmlFor={commentId} className={styles.commentLabel}>
        {t('feedback.comment')}
      </label>
      <textarea
        id={commentId}
        className={styles.comment}
        rows={2}
        maxLength={1000}
        dir="auto"
        value={comment}
        onChange={(event) => {
          setComment(event.target.value);
        }}
      />
      <div className={styles.buttons}>
        <button type="submit" disabled={vote.busy}>
          {t('feedback.send')}
        </button>
        <button type="button" onClick={vote.dismiss}>
          {t('feedback.skip')}
        </button>
      </div>
    </form>
  );
}

/** A vote that could not be saved (the one before stays shown). */
function VoteError({ vote }: { vote: VoteState }) {
  return vote.error ? (
    <p role="alert" className={styles.error}>
      <ErrorMessage error={vote.error} />
    </p>
  ) : null;
}

function asDownReason(reason: Feedback['reason'] | undefined): DownReason | null {
  return reason && reason in DOWN_REASONS ? (reason as DownReason) : null;
}
