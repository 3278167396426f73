import Search from 'lucide-react/icons/search';
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
  /** The MCP servers a conversation may switch off (see ConversationActions). */
  servers?: readonly string[];
  onSetServersOff?: (id: string, off: string[]) => void;
  onLoadMore: () => void;
  /** Opens the search over the user's chats (Ctrl/Cmd+K does too). */
  onSearch?: () => void;
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
  servers,
  onSetServersOff,
  onLoadMore,
  onSearch,
}: Props) {
  const { t } = useTranslation();
  return (
    <nav className={styles.nav} aria-label={t('conversations.region')}>
      <button type="button" className={styles.new} onClick={onNew}>
        {t('conversations.new')}
      </button>
      {onSearch && (
        <button type="button" className={styles.search} aria-keyshortcuts="Control+K Meta+K" onClick={onSearch}>
          <Search size={16} aria-hidden="true" />
          <span>{t('search.open')}</span>
          <kbd className={styles.shortcut} aria-hidden="true">
            {t('search.shortcut')}
          </kbd>
        </button>
      )}
      <ul className={styles.list}>
        {conversations.map((conversation) => (
          <li key={conversation.id} className={styles.item}>
            <ConversationActions
              conversation={conversation}
              onRename={onRename}
              onDelete={onDelete}
              onExport={onExport}
              onSetTools={onSetTools}
              servers={servers}
              onSetServersOff={onSetServersOff}
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
