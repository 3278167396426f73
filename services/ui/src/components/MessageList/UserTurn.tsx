import Pencil from 'lucide-react/icons/pencil';
import { memo, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { ChatMessage } from '../../types/chat';
import { LazyMessageFiles } from '../Attachments';
import { IconButton } from '../IconButton';
import { EditForm } from './EditForm';
import styles from './MessageList.module.css';
import { Versions } from './Versions';

interface Props {
  message: ChatMessage;
  canAct: boolean;
  onEdit: (messageId: string, text: string) => Promise<boolean>;
  onShowBranch: (messageId: string) => void;
}

/** One of your messages, exactly as typed; Edit makes a new version of it (not one the server has not saved). */
export const UserTurn = memo(function UserTurn({ message, canAct, onEdit, onShowBranch }: Props) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  return (
    <li
      id={`m-${message.id}`}
      className={`${styles.turn} ${styles.user}`}
      aria-label={t('message.you')}
      data-testid="user-turn"
    >
      {!!message.attachments?.length && (
        <Suspense fallback={null}>
          <LazyMessageFiles files={message.attachments} />
        </Suspense>
      )}
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
        <p className={styles.userText} dir="auto">
          {message.content}
        </p>
      )}
      <footer className={styles.meta}>
        <Versions message={message} canAct={canAct} onShowBranch={onShowBranch} />
        {!editing && message.status !== 'pending' && (
          <span className={styles.actions}>
            <IconButton
              label={t('message.edit')}
              icon={<Pencil size={16} aria-hidden="true" />}
              disabled={!canAct}
              onClick={() => {
                setEditing(true);
              }}
            />
          </span>
        )}
      </footer>
    </li>
  );
});
