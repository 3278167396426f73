import { memo, Suspense } from 'react';

import { isUnderway, type ChatMessage } from '../../types/chat';
import { CopyButton } from '../CopyButton';
import { LazyMarkdown } from '../Markdown/lazy';
import styles from './MessageList.module.css';
import { Versions } from './Versions';

interface Props {
  message: ChatMessage;
  canAct: boolean;
  onRetry: (answerId: string) => void;
  onShowBranch: (messageId: string) => void;
}

/** An answer: markdown as it streams ("Thinking…" before its first word), its notices, usage and actions.
 * Memoised: while an answer streams, only that answer re-renders, once per frame. */
export const AssistantTurn = memo(function AssistantTurn({ message, canAct, onRetry, onShowBranch }: Props) {
  const finished = !isUnderway(message.status);
  return (
    <li
      className={`${styles.turn} ${styles.assistant}`}
      aria-label="Assistant"
      aria-busy={!finished}
      data-testid="assistant-turn"
      data-status={message.status}
      data-id={message.id}
      data-chars={message.content.length}
    >
      {message.content ? (
        <Suspense fallback={<p className={styles.plainText}>{message.content}</p>}>
          <LazyMarkdown text={message.content} />
        </Suspense>
      ) : (
        !finished && <Thinking />
      )}
      <Notice message={message} />
      <footer className={styles.meta}>
        <Versions message={message} canAct={canAct} onShowBranch={onShowBranch} />
        {message.status === 'stopped' && <span className={styles.badge}>Stopped</span>}
        {message.usage?.completion_tokens != null && (
          <span
            title={`prompt ${message.usage.prompt_tokens ?? '?'} + answer ${message.usage.completion_tokens}${
              message.usage.reasoning_tokens ? ` (${message.usage.reasoning_tokens} of them reasoning)` : ''
            }`}
          >
            {(message.usage.prompt_tokens ?? 0) + message.usage.completion_tokens} tokens
            {message.usage.reasoning_tokens ? `, ${message.usage.reasoning_tokens} reasoning` : ''}
          </span>
        )}
        {message.content && finished && <CopyButton label="Copy answer" getText={() => message.content} />}
        {finished && (
          <button
            type="button"
            className={styles.retry}
            onClick={() => {
              onRetry(message.id);
            }}
            disabled={!canAct}
          >
            Retry
          </button>
        )}
      </footer>
    </li>
  );
});

/** From the moment the message is accepted to the first word: a reasoning model, or a long prompt on a CPU,
 * can take a minute there, and Stop works all along. */
function Thinking() {
  return (
    <p className={styles.thinking} role="status" data-testid="thinking">
      <span className={styles.dots} aria-hidden="true">
        ●●●
      </span>{' '}
      Thinking…
    </p>
  );
}

function Notice({ message }: { message: ChatMessage }) {
  if ((message.status === 'error' || message.status === 'interrupted') && message.error) {
    return (
      <p role="alert" className={styles.error}>
        {message.error.message}
      </p>
    );
  }
  if (message.status === 'interrupted') {
    return (
      <p role="alert" className={styles.error}>
        The answer was interrupted. Retry.
      </p>
    );
  }
  if (message.finish_reason === 'length') {
    return <p className={styles.notice}>The answer was cut short by the length limit (max tokens in Settings).</p>;
  }
  if (message.finish_reason === 'content_filter') {
    return <p className={styles.notice}>The rest of this answer was withheld by the content filter.</p>;
  }
  return null;
}
