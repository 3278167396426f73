import { useTranslation } from 'react-i18next';

import type { ConversationSummary } from '../../types/chat';
import { ConversationActions, type ExportFormat } from '../ConversationActions';
import styles from './ConversationList.module.css';

interface Props {
  conversations: ConversationSummary[];
  activeId: string | null;
  hasMore: boolean;
  onNew: () => void;
  onSelect: (id: string) => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onExport: (id: string, format: ExportFormat) => void;
  onSetTools: (id: string, enabled: boolean) => void;
  onLoadMore: () => void;
}

export function ConversationList({
  conversations,
  activeId,
  hasMore,
  onNew,
  onSelect,
  onRename,
  onDelete,
  onExport,
  onSetTools,
  onLoadMore,
}: Props) {
  const { t } = useTranslation();
  return (
    <nav className={styles.nav} aria-label={t('conversations.region')}>
      <button type="button" className={styles.new} onClick={onNew}>
        {t('conversations.new')}
      </button>
      <ul className={styles.list}>
        {conversations.map((conversation) => (
          <li key={conversation.id} className={styles.item}>
            <ConversationActions
              conversation={conversation}
              onRename={onRename}
              onDelete={onDelete}
              onExport={onExport}
              onSetTools={onSetTools}
              menuClassName={styles.actions}
            >
              <button
                type="button"
                className={styles.select}
                dir="auto"
                aria-current={conversation.id === activeId ? 'page' : undefined}
                onClick={() => {
                  onSelect(conversation.id);
                }}
              >
                {conversation.title}
              </button>
            </ConversationActions>
          </li>
        ))}
      </ul>
      {hasMore && (
        <button type="button" className={styles.more} onClick={onLoadMore}>
          {t('conversations.older')}
        </button>
      )}
    </nav>
  );
}
