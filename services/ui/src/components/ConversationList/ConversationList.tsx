import type { Conversation } from '../../types/chat';
import styles from './ConversationList.module.css';

interface Props {
  conversations: Conversation[];
  activeId: string | null;
  onNew: () => void;
  onSelect: (id: string) => void;
  onDelete: (id: string) => void;
}

export function ConversationList({ conversations, activeId, onNew, onSelect, onDelete }: Props) {
  return (
    <nav className={styles.nav} aria-label="Conversations">
      <button type="button" className={styles.new} onClick={onNew}>
        + New chat
      </button>
      <ul className={styles.list}>
        {conversations.map((conversation) => (
          <li key={conversation.id} className={styles.item}>
            <button
              type="button"
              className={styles.select}
              aria-current={conversation.id === activeId ? 'page' : undefined}
              onClick={() => {
                onSelect(conversation.id);
              }}
            >
              {conversation.title}
            </button>
            <button
              type="button"
              className={styles.delete}
              aria-label={`Delete chat: ${conversation.title}`}
              onClick={() => {
                onDelete(conversation.id);
              }}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
