import { Suspense, useCallback, useEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';

import { useAttachments, type FilesApi } from '../../hooks/useAttachments';
import type { Streaming } from '../../hooks/useConversation';
import { useAutoScroll } from '../../hooks/useAutoScroll';
import { FileContent, type LoadFile } from '../../hooks/useFileContent';
import type { Api } from '../../lib/api';
import { pendingApprovals } from '../../lib/answerParts';
import type { ChatMessage, MemorySummary, UsageView } from '../../types/chat';
import type { AttachmentView } from '../../types/files';
import type { ApprovalDecision } from '../../types/tools';
import { ApprovalPrompt } from '../ApprovalPrompt';
import { LazyFileChips, useFileDrop } from '../Attachments';
import { BudgetNote } from '../BudgetNote';
import { ChatInput, type ComposerFiles } from '../ChatInput';
import { MessageList, type MessageActions } from '../MessageList';
import styles from './ChatWindow.module.css';

/** A message asked for; each time a new object, so asking again for the same one shows it again. */
export interface MessageTarget {
  messageId: string;
}

/** Where the conversation's files go and come from; without it, nothing can be attached. */
export interface ConversationFiles {
  api: FilesApi & Pick<Api, 'fileContent'>;
  conversationId: string | null;
  /** The open conversation, made first for a new chat. */
  ensureConversation: () => Promise<string | null>;
}

interface Props extends MessageActions {
  messages: ChatMessage[];
  streaming: Streaming | null;
  hasEarlier: boolean;
  summary?: MemorySummary | null;
  onLoadEarlier: () => void;
  onSend: (text: string, attachments?: readonly AttachmentView[]) => Promise<boolean>;
  onStop: () => void;
  /** The user's decision on a tool call of the answer being written. */
  onDecide: (answerId: string, callId: string, decision: ApprovalDecision) => Promise<void>;
  usage?: UsageView | null;
  /** A message to show (opened from a search hit or a link): scrolled to, marked and focused once loaded. */
  target?: MessageTarget | null;
  files?: ConversationFiles | undefined;
}

export function ChatWindow({
  messages,
  streaming,
  hasEarlier,
  summary = null,
  onLoadEarlier,
  onSend,
  onStop,
  onDecide,
  usage = null,
  target = null,
  files,
  ...actions
}: Props) {
  const { t } = useTranslation();
  const { ref, following, jumpToLatest, hold, handlers } = useAutoScroll<HTMLDivElement>(messages);
  useShowTarget(target, messages, hold, actions.onShowBranch);
  // A tool waiting for the user's approval (one at a time, in the model's order): beside the input, where the
  // user is, rather than in the answer, which may have scrolled away.
  const answer = streaming ? messages.find((message) => message.id === streaming.answerId) : undefined;
  const waiting = answer ? pendingApprovals(answer.parts)[0] : undefined;

  useEffect(() => {
    if (!streaming) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onStop();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, [streaming, onStop]);

  const composer = useComposerFiles(files, onSend);

  return (
    <section className={styles.window} aria-label={t('chat.region')} {...composer.drop.handlers}>
      {composer.drop.dragging && (
        <div className={styles.dropZone} data-testid="drop-zone">
          {t('files.dropHere')}
        </div>
      )}
      <FileContent.Provider value={composer.load}>
        <MessageList
          messages={messages}
          canAct={streaming === null}
          hasEarlier={hasEarlier}
          summary={summary}
          onLoadEarlier={onLoadEarlier}
          scrollRef={ref}
          scrollHandlers={handlers}
          {...actions}
        />
      </FileContent.Provider>
      {streaming?.reconnecting && (
        <p className={styles.reconnecting} role="status">
          {t('chat.reconnecting')}
        </p>
      )}
      {!following && (
        <button type="button" className={styles.jump} onClick={jumpToLatest}>
          {t('chat.jumpToLatest')}
        </button>
      )}
      {answer && waiting && (
        <ApprovalPrompt
          key={waiting.call_id}
          call={waiting}
          onDecide={(decision) => onDecide(answer.id, waiting.call_id, decision)}
        />
      )}
      <BudgetNote usage={usage} />
      <ChatInput streaming={streaming !== null} onSend={composer.send} onStop={onStop} files={composer.input} />
    </section>
  );
}

/** The composer's files: uploaded as they come (the paperclip, a paste, a drop on the window), sent with the
 * next message and cleared once it is sent (they stay if it could not be). */
function useComposerFiles(
  files: ConversationFiles | undefined,
  onSend: (text: string, attachments?: readonly AttachmentView[]) => Promise<boolean>,
) {
  const noFiles = useMemo<FilesApi>(
    () => ({
      upload: () => Promise.reject(new Error('no files here')),
      files: () => Promise.resolve({ items: [] }),
      removeFile: () => Promise.resolve(undefined),
    }),
    [],
  );
  const attachments = useAttachments({
    api: files?.api ?? noFiles,
    conversationId: files?.conversationId ?? null,
    ensureConversation: files?.ensureConversation ?? (() => Promise.resolve(null)),
  });
  const { add, remove, clear, ready, waiting, chips } = attachments;
  const onFiles = useCallback(
    (dropped: File[]) => {
      void add(dropped);
    },
    [add],
  );
  const drop = useFileDrop(onFiles);
  const send = async (text: string) => {
    const sent = await onSend(text, ready.attachments);
    if (sent) clear(ready.keys);
    return sent;
  };
  const fileApi = files?.api;
  const conversationId = files?.conversationId ?? null;
  const load = useMemo<LoadFile | null>(
    () => (fileApi && conversationId ? (fileId) => fileApi.fileContent(conversationId, fileId) : null),
    [fileApi, conversationId],
  );
  const input: ComposerFiles | undefined = files
    ? {
        chips: chips.length ? (
          <Suspense fallback={null}>
            <LazyFileChips chips={chips} onRemove={remove} />
          </Suspense>
        ) : null,
        onAdd: onFiles,
        waiting,
      }
    : undefined;
  return { drop: files ? drop : { dragging: false, handlers: {} }, send, input, load };
}

/** Scrolls to the message asked for, marks it and moves the focus to it, once it is on screen; one on another
 * branch is asked for once (the branch through it is then shown). */
function useShowTarget(
  target: MessageTarget | null,
  messages: ChatMessage[],
  hold: () => void,
  onShowBranch: (messageId: string) => void,
) {
  const asked = useRef<MessageTarget | null>(null);
  const loaded = messages.length > 0;
  const onScreen = target !== null && messages.some((message) => message.id === target.messageId);
  useEffect(() => {
    if (!target || !loaded) return;
    if (!onScreen) {
      if (asked.current !== target) onShowBranch(target.messageId);
      asked.current = target;
      return;
    }
    const element = document.getElementById(`m-${target.messageId}`);
    if (!element) return;
    hold();
    document.querySelector('[data-found]')?.removeAttribute('data-found');
    element.dataset.found = '';
    element.tabIndex = -1;
    // (jsdom has no scrolling)
    if ('scrollIntoView' in element) element.scrollIntoView({ block: 'center' });
    element.focus({ preventScroll: true });
  }, [target, loaded, onScreen, hold, onShowBranch]);
}
