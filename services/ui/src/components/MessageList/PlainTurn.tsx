import { useTranslation } from 'react-i18next';

import type { ChatMessage } from '../../types/chat';
import styles from './MessageList.module.css';

/** A message that could not be rendered: its text exactly as written, and a note that says so. */
export function PlainTurn({ message }: { message: ChatMessage }) {
  const { t } = useTranslation();
  const user = message.role === 'user';
  return (
    <li
      className={`${styles.turn} ${user ? styles.user : styles.assistant}`}
      aria-label={user ? t('message.you') : t('message.assistant')}
      id={`m-${message.id}`}
      data-testid={user ? 'user-turn' : 'assistant-turn'}
      data-status={message.status}
      data-id={message.id}
      data-chars={message.content.length}
      data-fallback="plain-text"
    >
      <p className={styles.plainText} dir="auto">
        {message.content}
      </p>
      <p className={styles.notice}>{t('message.plainText')}</p>
    </li>
  );
}
