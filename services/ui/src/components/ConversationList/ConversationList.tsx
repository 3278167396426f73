import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { ConversationSummary } from '../../types/chat';
import styles from './ConversationList.module.css';

interface Props {
  conversations: ConversationSummary[];
  activeId: string | null;
  hasMore: boolean;
  onNew: () => void;
  onSelect: (id: string) => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
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
  onLoadMore,
}: Props) {
  const { t } = useTranslation();
  const [renaming, setRenaming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  return (
    <nav className={styles.nav} aria-label={t('conversations.region')}>
      <button type="button" className={styles.new} onClick={onNew}>
        {t('conversations.new')}
      </button>
      <ul className={styles.list}>
        {conversations.map((conversation) => (
          <li key={conversation.id} className={styles.item}>
            {renaming === conversation.id ? (
              <RenameForm
                title={conversation.title}
                onDone={async (title) => {
                  if (title && title !== conversation.title) await onRename(conversation.id, title);
                  setRenaming(null);
                }}
              />
            ) : deleting === conversation.id ? (
              <span
                className={styles.confirm}
                role="group"
                aria-label={t('conversations.confirmDeleteLabel', { title: conversation.title })}
              >
                <span>{t('conversations.confirmDelete')}</span>
                <button
                  type="button"
                  className={styles.danger}
                  onClick={() => {
                    setDeleting(null);
                    void onDelete(conversation.id);
                  }}
                >
                  {t('conversations.deleteConfirmed')}
                </button>
                <button
                  type="button"
                  onClick={() => {
                    setDeleting(null);
                  }}
                >
                  {t('conversations.keep')}
                </button>
              </span>
            ) : (
              <>
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
                <button
                  type="button"
                  className={styles.icon}
                  aria-label={t('conversations.rename', { title: conversation.title })}
                  onClick={() => {
                    setRenaming(conversation.id);
                  }}
                >
                  ✎
                </button>
                <button
                  type="button"
                  className={styles.icon}
                  aria-label={t('conversations.delete', { title: conversation.title })}
                  onClick={() => {
                    setDeleting(conversation.id);
                  }}
                >
                  ×
                </button>
              </>
            )}
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

function RenameForm({ title, onDone }: { title: string; onDone: (title: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(title);
  return (
    <form
      className={styles.rename}
      onSubmit={(event) => {
        event.preventDefault();
        void onDone(value.trim());
      }}
    >
      <label className={styles.visuallyHidden} htmlFor="rename-chat">
        {t('conversations.newName')}
      </label>
      <input
        id="rename-chat"
        value={value}
        maxLength={200}
        autoFocus
        onChange={(event) => {
          setValue(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') void onDone(title);
        }}
      />
      <button type="submit">{t('conversations.save')}</button>
    </form>
  );
}
