import RotateCcw from 'lucide-react/icons/rotate-ccw';
import { memo, Suspense, useContext, useMemo } from 'react';
import { useTranslation } from 'react-i18next';

import { formatNumber } from '../../i18n/format';
import { segmentsOf } from '../../lib/answerParts';
import { ModelLabels } from '../../lib/modelLabels';
import { isUnderway, type ChatMessage, type Feedback, type Usage, type VoteBody } from '../../types/chat';
import type { AnswerPart } from '../../types/tools';
import { LazyAnswerFeedback } from '../AnswerFeedback/lazy';
import { WithCitations } from '../Citations';
import { CopyButton } from '../CopyButton';
import { ErrorMessage } from '../ErrorMessage';
import { IconButton } from '../IconButton';
import { LazyMarkdown } from '../Markdown/lazy';
import { ToolCard } from '../ToolCard';
import styles from './MessageList.module.css';
import { Versions } from './Versions';

interface Props {
  message: ChatMessage;
  canAct: boolean;
  onRetry: (answerId: string) => void;
  onShowBranch: (messageId: string) => void;
  /** Saves the user's vote on an answer (null: withdraws it); without it, no thumbs. */
  onVote?: ((answerId: string, vote: VoteBody | null) => Promise<Feedback | null>) | undefined;
}

/** An answer: markdown as it streams ("Thinking…" before its first word), its tool calls as cards between its
 * text, its notices, usage and actions. Memoised: while an answer streams, only that answer re-renders, once
 * per frame. */
export const AssistantTurn = memo(function AssistantTurn({ message, canAct, onRetry, onShowBranch, onVote }: Props) {
  const { t } = useTranslation();
  const finished = !isUnderway(message.status);
  // A finished answer (not one that failed) takes a vote.
  const saveVote =
    onVote && (message.status === 'done' || message.status === 'stopped')
      ? (vote: VoteBody | null) => onVote(message.id, vote)
      : null;
  // An answer that failed, or was cut off, keeps its Retry in sight; others show their actions on hover.
  const pinned = message.status === 'error' || message.status === 'interrupted';
  return (
    <li
      className={`${styles.turn} ${styles.assistant}`}
      aria-label={t('message.assistant')}
      aria-busy={!finished}
      id={`m-${message.id}`}
      data-testid="assistant-turn"
      data-status={message.status}
      data-id={message.id}
      data-chars={message.content.length}
    >
      {message.parts ? (
        <WithCitations parts={message.parts}>
          <AnswerParts parts={message.parts} underway={!finished} />
        </WithCitations>
      ) : message.content ? (
        <AnswerText text={message.content} />
      ) : (
        !finished && <Thinking />
      )}
      <Notice message={message} />
      <footer className={styles.meta}>
        <Versions message={message} canAct={canAct} onShowBranch={onShowBranch} />
        <ModelLabel model={message.model} />
        {message.status === 'stopped' && <span className={styles.badge}>{t('message.stopped')}</span>}
        {message.usage?.completion_tokens != null && (
          <TokenCount usage={message.usage} completion={message.usage.completion_tokens} />
        )}
        {finished && (
          <span className={`${styles.actions} ${pinned ? styles.pinned : ''}`}>
            {message.content && <CopyButton label={t('message.copyAnswer')} getText={() => message.content} />}
            <IconButton
              label={t('message.retry')}
              icon={<RotateCcw size={16} aria-hidden="true" />}
              onClick={() => {
                onRetry(message.id);
              }}
              disabled={!canAct}
            />
          </span>
        )}
        {saveVote && (
          <Suspense fallback={null}>
            <LazyAnswerFeedback
              saved={message.feedback ?? null}
              save={saveVote}
              className={styles.votes}
              votedClassName={styles.voted}
            />
          </Suspense>
        )}
      </footer>
    </li>
  );
});

/** Which model wrote the answer, when there are several to tell apart. */
function ModelLabel({ model }: { model: string | null }) {
  const { t } = useTranslation();
  const labels = useContext(ModelLabels);
  if (labels === null || model === null) return null;
  const label = labels.get(model) ?? model;
  return (
    <span className={styles.model} title={t('models.answeredBy', { model: label })} data-testid="answer-model">
      {label}
    </span>
  );
}

/** Markdown, shown as plain text for the moment before the renderer has loaded. */
function AnswerText({ text }: { text: string }) {
  return (
    <Suspense
      fallback={
        <p className={styles.plainText} dir="auto">
          {text}
        </p>
      }
    >
      <LazyMarkdown text={text} />
    </Suspense>
  );
}

/** An answer that called tools: its text and a card per call, in the order they came. While the model reads
 * the results (every call has one), it is thinking again. */
function AnswerParts({ parts, underway }: { parts: AnswerPart[]; underway: boolean }) {
  const segments = useMemo(() => segmentsOf(parts), [parts]);
  const last = segments.at(-1);
  const readingResults =
    underway && last?.kind === 'tool' && segments.every((segment) => segment.kind === 'text' || segment.result);
  return (
    <>
      {segments.map((segment) =>
        segment.kind === 'text' ? (
          <AnswerText key={segment.key} text={segment.text} />
        ) : (
          <ToolCard key={segment.key} call={segment.call} result={segment.result} underway={underway} />
        ),
      )}
      {readingResults && <Thinking />}
    </>
  );
}

/** From the moment the message is accepted to the first word: a reasoning model, or a long prompt on a CPU,
 * can take a minute there, and Stop works all along. */
function Thinking() {
  const { t } = useTranslation();
  return (
    <p className={styles.thinking} role="status" data-testid="thinking">
      <span className={styles.dots} aria-hidden="true">
        ●●●
      </span>{' '}
      {t('message.thinking')}
    </p>
  );
}

/** The tokens an answer cost (its prompt included), and how they split, on hover. */
function TokenCount({ usage, completion }: { usage: Usage; completion: number }) {
  const { t, i18n } = useTranslation();
  const count = (usage.prompt_tokens ?? 0) + completion;
  const reasoning = usage.reasoning_tokens ?? 0;
  const split = {
    prompt: usage.prompt_tokens == null ? t('message.unknownCount') : formatNumber(usage.prompt_tokens, i18n.language),
    answer: completion,
    reasoning,
  };
  return (
    <span title={reasoning ? t('message.usageDetailWithReasoning', split) : t('message.usageDetail', split)}>
      {reasoning ? t('message.tokensWithReasoning', { count, reasoning }) : t('message.tokens', { count })}
    </span>
  );
}

function Notice({ message }: { message: ChatMessage }) {
  const { t } = useTranslation();
  if ((message.status === 'error' || message.status === 'interrupted') && message.error) {
    return (
      <p role="alert" className={styles.error}>
        <ErrorMessage error={message.error} />
      </p>
    );
  }
  if (message.status === 'interrupted') {
    return (
      <p role="alert" className={styles.error}>
        {t('message.interrupted')}
      </p>
    );
  }
  if (message.finish_reason === 'length') {
    return <p className={styles.notice}>{t('message.cutShort')}</p>;
  }
  if (message.finish_reason === 'content_filter') {
    return <p className={styles.notice}>{t('message.filtered')}</p>;
  }
  return null;
}
