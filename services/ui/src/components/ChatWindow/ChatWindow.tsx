import { useEffect } from 'react';

import { useAutoScroll } from '../../hooks/useAutoScroll';
import type { ChatTurn } from '../../types/chat';
import { ChatInput } from '../ChatInput';
import { MessageList } from '../MessageList';
import styles from './ChatWindow.module.css';

interface Props {
  turns: ChatTurn[];
  streaming: boolean;
  onSend: (text: string) => boolean;
  onStop: () => void;
  onRetry: (turnId: string) => void;
}

export function ChatWindow({ turns, streaming, onSend, onStop, onRetry }: Props) {
  const { ref, following, jumpToLatest, handlers } = useAutoScroll<HTMLDivElement>(turns);

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
    <section className={styles.window} aria-label="Chat">
      <MessageList turns={turns} canRetry={!streaming} onRetry={onRetry} scrollRef={ref} scrollHandlers={handlers} />
      {!following && (
        <button type="button" className={styles.jump} onClick={jumpToLatest}>
          Jump to latest ↓
        </button>
      )}
      <ChatInput streaming={streaming} onSend={onSend} onStop={onStop} />
    </section>
  );
}
