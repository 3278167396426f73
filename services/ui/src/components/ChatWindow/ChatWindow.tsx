import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

import type { Streaming } from '../../hooks/useConversation';
import { useAutoScroll } from '../../hooks/useAutoScroll';
import { pendingApprovals } from '../../lib/answerParts';
import type { ChatMessage, MemorySummary, UsageView } from '../../types/chat';
import type { ApprovalDecision } from '../../types/tools';
import { ApprovalPrompt } from '../ApprovalPrompt';
import { BudgetNote } from '../BudgetNote';
import { ChatInput } from '../ChatInput';
import { MessageList, type MessageActions } from '../MessageList';
import styles from './ChatWindow.module.css';

interface Props extends MessageActions {
  messages: ChatMessage[];
  streaming: Streaming | null;
  hasEarlier: boolean;
  summary?: MemorySummary | null;
  onLoadEarlier: () => void;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  /** The user's decision on a tool call of the answer being written. */
  onDecide: (answerId: string, callId: string, decision: ApprovalDecision) => Promise<void>;
  usage?: UsageView | null;
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
  ...actions
}: Props) {
  const { t } = useTranslation();
  const { ref, following, jumpToLatest, handlers } = useAutoScroll<HTMLDivElement>(messages);
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

  return (
    <section className={styles.window} aria-label={t('chat.region')}>
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
      <ChatInput streaming={streaming !== null} onSend={onSend} onStop={onStop} />
    </section>
  );
}
