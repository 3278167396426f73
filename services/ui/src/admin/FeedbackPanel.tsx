import { useCallback, useEffect, useId, useState } from 'react';

import type { ErrorInfo } from '../types/chat';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';
import { AdminFailure, MoreButton } from './AdminError';
import type { AdminApi, FeedbackEntry, Rating } from './adminApi';
import { formatMoment } from './format';

/** The thumbs as characters, not the chat's lucide icons: those would become a chunk shared with the answers'
 * thumbs, one request more for every user. */
const THUMBS = { up: '👍', down: '👎' } as const;

/** The reasons a vote may give (the api's `feedback/vocabulary.py`). */
const REASONS = {
  accurate: 'feedback.reasons.accurate',
  helpful: 'feedback.reasons.helpful',
  well_written: 'feedback.reasons.well_written',
  inaccurate: 'feedback.reasons.inaccurate',
  unhelpful: 'feedback.reasons.unhelpful',
  incomplete: 'feedback.reasons.incomplete',
  ignored_instructions: 'feedback.reasons.ignored_instructions',
  harmful: 'feedback.reasons.harmful',
  other: 'feedback.reasons.other',
} as const;

interface Props {
  api: AdminApi;
  onDownload: (blob: Blob, name: string) => void;
}

/** Every user's votes on answers, the most recently given first, with their CSV; the question and answer only
 * when the api says the operators may see them. */
export function FeedbackPanel({ api, onDownload }: Props) {
  const { t, language } = useAdminText();
  const id = useId();
  const [rating, setRating] = useState<Rating | null>(null);
  const [votes, setVotes] = useState<FeedbackEntry[] | null>(null);
  const [contentVisible, setContentVisible] = useState(false);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<ErrorInfo | null>(null);

  const load = useCallback(
    (cursor: string | null, isCurrent: () => boolean = () => true) => {
      api.feedback(rating, cursor).then(
        (page) => {
          if (!isCurrent()) return;
          setVotes((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setContentVisible(page.content_visible);
          setNext(page.next_cursor);
          setFailure(null);
        },
        (error: unknown) => {
          if (isCurrent()) setFailure(error as ErrorInfo);
        },
      );
    },
    [api, rating],
  );
  useEffect(() => {
    let current = true; // a slower answer for the rating before is dropped
    load(null, () => current);
    return () => {
      current = false;
    };
  }, [load]);

  const exportCsv = () => {
    api.feedbackCsv().then(
      ({ blob, name }) => {
        onDownload(blob, name);
      },
      (error: unknown) => {
        setFailure(error as ErrorInfo);
      },
    );
  };
  const reason = (name: string | null) =>
    name === null ? '' : name in REASONS ? t(REASONS[name as keyof typeof REASONS]) : name;
  const voter = (vote: FeedbackEntry) =>
    vote.email ?? vote.display_name ?? `${t('usage.guest')} ${vote.user_id.slice(0, 8)}`;
  const columns = contentVisible ? 8 : 6;

  return (
    <section className={styles.section} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('tabs.feedback')}</h2>
      <div className={styles.filters}>
        <label>
          {t('feedback.rating')}
          <select
            value={rating ?? ''}
            onChange={(event) => {
              setRating((event.target.value || null) as Rating | null);
            }}
          >
            <option value="">{t('feedback.all')}</option>
            <option value="up">{t('feedback.up')}</option>
            <option value="down">{t('feedback.down')}</option>
          </select>
        </label>
        <button type="button" onClick={exportCsv}>
          {t('feedback.export')}
        </button>
      </div>
      <AdminFailure error={failure} />
      {votes === null ? (
        <p>{t('loading')}</p>
      ) : (
        <div className={styles.scroll}>
          {!contentVisible && <p className={styles.note}>{t('feedback.contentHidden')}</p>}
          <table className={styles.table}>
            <caption>{t('feedback.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('feedback.when')}</th>
                <th scope="col">{t('feedback.rating')}</th>
                <th scope="col">{t('feedback.reason')}</th>
                <th scope="col">{t('feedback.comment')}</th>
                <th scope="col">{t('feedback.model')}</th>
                <th scope="col">{t('feedback.user')}</th>
                {contentVisible && <th scope="col">{t('feedback.question')}</th>}
                {contentVisible && <th scope="col">{t('feedback.answer')}</th>}
              </tr>
            </thead>
            <tbody>
              {votes.length === 0 && (
                <tr>
                  <td colSpan={columns}>{t('noRows')}</td>
                </tr>
              )}
              {votes.map((vote) => (
                <tr key={vote.id}>
                  <td>{formatMoment(vote.at, language)}</td>
                  <td>
                    <span role="img" aria-label={t(vote.rating === 'up' ? 'feedback.up' : 'feedback.down')}>
                      {THUMBS[vote.rating]}
                    </span>
                  </td>
                  <td>{reason(vote.reason)}</td>
                  <td dir="auto" className={styles.content}>
                    {vote.comment ?? ''}
                  </td>
                  <td>{vote.model}</td>
                  <td dir="auto">{voter(vote)}</td>
                  {contentVisible && (
                    <td dir="auto" className={styles.content}>
                      {vote.question ?? ''}
                    </td>
                  )}
                  {contentVisible && (
                    <td dir="auto" className={styles.content}>
                      {vote.answer ?? ''}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <MoreButton
            next={next}
            onMore={(cursor) => {
              load(cursor);
            }}
          />
        </div>
      )}
    </section>
  );
}
