import { memo, Suspense, type DOMAttributes, type Ref } from 'react';

import type { ChatTurn } from '../../types/chat';
import { CopyButton } from '../CopyButton';
import { LazyMarkdown } from '../Markdown/lazy';
import styles from './MessageList.module.css';

interface Props {
  turns: ChatTurn[];
  canRetry: boolean;
  onRetry: (turnId: string) => void;
  scrollRef: Ref<HTMLDivElement>;
  scrollHandlers?: Pick<
    DOMAttributes<HTMLDivElement>,
    'onScroll' | 'onWheel' | 'onTouchStart' | 'onTouchMove' | 'onKeyDown'
  >;
}

export function MessageList({ turns, canRetry, onRetry, scrollRef, scrollHandlers }: Props) {
  return (
    // tabIndex: the conversation can be scrolled from the keyboard alone.
    <div ref={scrollRef} className={styles.scroller} {...scrollHandlers} tabIndex={0} data-testid="message-list">
      {turns.length === 0 ? (
        <p className={styles.empty}>Ask anything. Answers stream in as they are written.</p>
      ) : (
        // The log region wraps the list: a role on the <ol> itself would stop its items being list items.
        <div role="log" aria-label="Conversation">
          <ol className={styles.list}>
            {turns.map((turn) => (
              <Turn key={turn.id} turn={turn} canRetry={canRetry} onRetry={onRetry} />
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

/** One message. Memoised: while an answer streams, only that answer re-renders, once per frame. */
const Turn = memo(function Turn({
  turn,
  canRetry,
  onRetry,
}: {
  turn: ChatTurn;
  canRetry: boolean;
  onRetry: (id: string) => void;
}) {
  if (turn.role === 'user') {
    return (
      <li className={`${styles.turn} ${styles.user}`} aria-label="You">
        <p className={styles.userText}>{turn.content}</p>
      </li>
    );
  }
  const retryable = turn.status === 'error' || turn.status === 'stopped';
  return (
    <li
      className={`${styles.turn} ${styles.assistant}`}
      aria-label="Assistant"
      aria-busy={turn.status === 'streaming'}
      data-testid="assistant-turn"
      data-status={turn.status}
    >
      {turn.content ? (
        <Suspense fallback={<p className={styles.plainText}>{turn.content}</p>}>
          <LazyMarkdown text={turn.content} />
        </Suspense>
      ) : (
        turn.status === 'streaming' && <Thinking />
      )}
      <Notice turn={turn} />
      <footer className={styles.meta}>
        {turn.status === 'stopped' && <span className={styles.badge}>Stopped</span>}
        {turn.usage && (
          <span title={`prompt ${turn.usage.prompt_tokens} + answer ${turn.usage.completion_tokens}`}>
            {turn.usage.total_tokens} tokens
          </span>
        )}
        {turn.content && turn.status !== 'streaming' && <CopyButton label="Copy answer" getText={() => turn.content} />}
        {retryable && (
          <button
            type="button"
            className={styles.retry}
            onClick={() => {
              onRetry(turn.id);
            }}
            disabled={!canRetry}
          >
            Retry
          </button>
        )}
      </footer>
    </li>
  );
});

function Thinking() {
  return (
    <p className={styles.thinking} aria-label="The assistant is thinking">
      <span aria-hidden="true">●●●</span>
    </p>
  );
}

function Notice({ turn }: { turn: ChatTurn }) {
  if (turn.status === 'error' && turn.error) {
    return (
      <p role="alert" className={styles.error}>
        {turn.error.message}
      </p>
    );
  }
  if (turn.finishReason === 'length') {
    return <p className={styles.notice}>The answer was cut short by the length limit (max tokens in Settings).</p>;
  }
  if (turn.finishReason === 'content_filter') {
    return <p className={styles.notice}>The rest of this answer was withheld by the content filter.</p>;
  }
  return null;
}
