import { Fragment, memo, Suspense, useState, type DOMAttributes, type Ref } from 'react';
import { ErrorBoundary } from 'react-error-boundary';

import { isUnderway, type ChatMessage, type MemorySummary } from '../../types/chat';
import { CopyButton } from '../CopyButton';
import { LazyMarkdown } from '../Markdown/lazy';
import styles from './MessageList.module.css';

export interface MessageActions {
  onRetry: (answerId: string) => void;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onShowBranch: (messageId: string) => void;
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
  // The covered message may be on an earlier page: then the mark goes first.
  const markAfter =
    summary && messages.some((m) => m.id === summary.covers_message_id) ? summary.covers_message_id : null;
  return (
    // tabIndex: the conversation can be scrolled from the keyboard alone.
    <div ref={scrollRef} className={styles.scroller} {...scrollHandlers} tabIndex={0} data-testid="message-list">
      {messages.length === 0 ? (
        <p className={styles.empty}>Ask anything. Answers stream in as they are written.</p>
      ) : (
        // The log region wraps the list: a role on the <ol> itself would stop its items being list items.
        <div role="log" aria-label="Conversation">
          {hasEarlier && (
            <button type="button" className={styles.earlier} onClick={onLoadEarlier}>
              Show earlier messages
            </button>
          )}
          <ol className={styles.list}>
            {summary && markAfter === null && <SummaryMark summary={summary} />}
            {messages.map((message) => (
              <Fragment key={message.id}>
                {/* A message that fails to render (an answer built to break the renderer) shows as plain text
                    alone: the other messages, the input and the rest of the app go on. */}
                <ErrorBoundary fallbackRender={() => <PlainTurn message={message} />}>
                  <Turn message={message} canAct={canAct} {...actions} />
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
  return (
    <li className={styles.summaryMark} data-testid="summary-mark">
      <details>
        <summary>
          The model remembers the {summary.covered_messages} messages above as a summary (they no longer fit its window)
        </summary>
        <p className={styles.summaryText}>{summary.content}</p>
      </details>
    </li>
  );
}

/** A message that could not be rendered: its text exactly as written, and a note that says so. */
function PlainTurn({ message }: { message: ChatMessage }) {
  const user = message.role === 'user';
  return (
    <li
      className={`${styles.turn} ${user ? styles.user : styles.assistant}`}
      aria-label={user ? 'You' : 'Assistant'}
      data-testid={user ? 'user-turn' : 'assistant-turn'}
      data-status={message.status}
      data-id={message.id}
      data-chars={message.content.length}
      data-fallback="plain-text"
    >
      <p className={styles.plainText}>{message.content}</p>
      <p className={styles.notice}>This message could not be formatted, so it is shown as plain text.</p>
    </li>
  );
}

type TurnProps = { message: ChatMessage; canAct: boolean } & MessageActions;

/** One message. Memoised: while an answer streams, only that answer re-renders, once per frame. */
const Turn = memo(function Turn({ message, canAct, onRetry, onEdit, onShowBranch }: TurnProps) {
  const [editing, setEditing] = useState(false);
  if (message.role === 'user') {
    return (
      <li className={`${styles.turn} ${styles.user}`} aria-label="You" data-testid="user-turn">
        {editing ? (
          <EditForm
            initial={message.content}
            onCancel={() => {
              setEditing(false);
            }}
            onSave={async (text) => {
              if (await onEdit(message.id, text)) setEditing(false);
            }}
          />
        ) : (
          <p className={styles.userText}>{message.content}</p>
        )}
        <footer className={styles.meta}>
          <Versions message={message} canAct={canAct} onShowBranch={onShowBranch} />
          {!editing && message.status !== 'pending' && (
            <button
              type="button"
              className={styles.action}
              disabled={!canAct}
              onClick={() => {
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
        </footer>
      </li>
    );
  }
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

/** `‹ 2 / 3 ›` between a message and its siblings (retries of an answer, edits of a message). */
function Versions({
  message,
  canAct,
  onShowBranch,
}: {
  message: ChatMessage;
  canAct: boolean;
  onShowBranch: (id: string) => void;
}) {
  const siblings = message.sibling_ids;
  const index = siblings.indexOf(message.id);
  if (siblings.length < 2 || index < 0) return null;
  const go = (offset: number) => {
    const target = siblings[index + offset];
    if (target) onShowBranch(target);
  };
  return (
    <span className={styles.versions} role="group" aria-label="Versions">
      <button
        type="button"
        aria-label="Previous version"
        disabled={!canAct || index === 0}
        onClick={() => {
          go(-1);
        }}
      >
        ‹
      </button>
      <span>
        {index + 1} / {siblings.length}
      </span>
      <button
        type="button"
        aria-label="Next version"
        disabled={!canAct || index === siblings.length - 1}
        onClick={() => {
          go(1);
        }}
      >
        ›
      </button>
    </span>
  );
}

function EditForm({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (text: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  return (
    <form
      className={styles.edit}
      onSubmit={(event) => {
        event.preventDefault();
        void onSave(text);
      }}
    >
      <label className={styles.visuallyHidden} htmlFor="edit-message">
        Edit your message
      </label>
      <textarea
        id="edit-message"
        value={text}
        rows={3}
        autoFocus
        onChange={(event) => {
          setText(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
        }}
      />
      <div className={styles.editActions}>
        <button type="submit" disabled={!text.trim()}>
          Save and send
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

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
