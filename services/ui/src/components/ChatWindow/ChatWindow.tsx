import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

import type { Streaming } from '../../hooks/useConversation';
import { useAutoScroll } from '../../hooks/useAutoScroll';
import type { ChatMessage, MemorySummary, UsageView } from '../../types/chat';
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
  usage = null,
  ...actions
}: Props) {
  const { t } = useTranslation();
  const { ref, following, jumpToLatest, handlers } = useAutoScroll<HTMLDivElement>(messages);

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
      <BudgetNote usage={usage} />
      <ChatInput streaming={streaming !== null} onSend={onSend} onStop={onStop} />
    </section>
  );
}
