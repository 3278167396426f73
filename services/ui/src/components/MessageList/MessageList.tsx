import { Fragment, type DOMAttributes, type Ref } from 'react';
import { ErrorBoundary } from 'react-error-boundary';
import { useTranslation } from 'react-i18next';

import type { ChatMessage, Feedback, MemorySummary, VoteBody } from '../../types/chat';
import { AssistantTurn } from './AssistantTurn';
import styles from './MessageList.module.css';
import { PlainTurn } from './PlainTurn';
import { UserTurn } from './UserTurn';

export interface MessageActions {
  onRetry: (answerId: string) => void;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onShowBranch: (messageId: string) => void;
  /** Saves the user's vote on an answer (null: withdraws it). */
  onVote?: (answerId: string, vote: VoteBody | null) => Promise<Feedback | null>;
}

interface Props extends MessageActions {
  messages: ChatMessage[];
  /** False while an answer streams: a new one cannot start until it ends. */
  canAct: boolean;
  hasEarlier: boolean;
  /** Where the model's memory of this branch becomes a summary (older turns no longer fit its window). */
  summary?: MemorySummary | null;
  onLoadEarlier: () => void;
  scrollRef: Ref<HTMLDivElement>;
  scrollHandlers?: Pick<
    DOMAttributes<HTMLDivElement>,
    'onScroll' | 'onWheel' | 'onTouchStart' | 'onTouchMove' | 'onKeyDown'
  >;
}

export function MessageList({
  messages,
  canAct,
  hasEarlier,
  summary = null,
  onLoadEarlier,
  scrollRef,
  scrollHandlers,
  ...actions
}: Props) {
  const { t } = useTranslation();
  // The covered message may be on an earlier page: then the mark goes first.
  const markAfter =
    summary && messages.some((m) => m.id === summary.covers_message_id) ? summary.covers_message_id : null;
  return (
    // tabIndex: the conversation can be scrolled from the keyboard alone.
    <div ref={scrollRef} className={styles.scroller} {...scrollHandlers} tabIndex={0} data-testid="message-list">
      {messages.length === 0 ? (
        <p className={styles.empty}>{t('chat.empty')}</p>
      ) : (
        // The log region wraps the list: a role on the <ol> itself would stop its items being list items.
        <div role="log" aria-label={t('chat.log')}>
          {hasEarlier && (
            <button type="button" className={styles.earlier} onClick={onLoadEarlier}>
              {t('chat.earlier')}
            </button>
          )}
          <ol className={styles.list}>
            {summary && markAfter === null && <SummaryMark summary={summary} />}
            {messages.map((message) => (
              <Fragment key={message.id}>
                {/* A message that fails to render (an answer built to break the renderer) shows as plain text
                    alone: the other messages, the input and the rest of the app go on. */}
                <ErrorBoundary fallbackRender={() => <PlainTurn message={message} />}>
                  {message.role === 'user' ? (
                    <UserTurn
                      message={message}
                      canAct={canAct}
                      onEdit={actions.onEdit}
                      onShowBranch={actions.onShowBranch}
                    />
                  ) : (
                    <AssistantTurn
                      message={message}
                      canAct={canAct}
                      onRetry={actions.onRetry}
                      onShowBranch={actions.onShowBranch}
                      onVote={actions.onVote}
                    />
                  )}
                </ErrorBoundary>
                {summary && message.id === markAfter && <SummaryMark summary={summary} />}
              </Fragment>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

/** Above it, the model no longer reads the messages themselves but this summary of them. */
function SummaryMark({ summary }: { summary: MemorySummary }) {
  const { t } = useTranslation();
  return (
    <li className={styles.summaryMark} data-testid="summary-mark">
      <details>
        <summary>{t('chat.summary', { count: summary.covered_messages })}</summary>
        <p className={styles.summaryText}>{summary.content}</p>
      </details>
    </li>
  );
}
