import { useTranslation } from 'react-i18next';

import type { ChatMessage } from '../../types/chat';
import styles from './MessageList.module.css';

/** `‹ 2 / 3 ›` between a message and its siblings (retries of an answer, edits of a message). */
export function Versions({
  message,
  canAct,
  onShowBranch,
}: {
  message: ChatMessage;
  canAct: boolean;
  onShowBranch: (id: string) => void;
}) {
  const { t, i18n } = useTranslation();
  const [back, forward] = i18n.dir() === 'rtl' ? ['›', '‹'] : ['‹', '›']; // pointing the way the page reads
  const siblings = message.sibling_ids;
  const index = siblings.indexOf(message.id);
  if (siblings.length < 2 || index < 0) return null;
  const go = (offset: number) => {
    const target = siblings[index + offset];
    if (target) onShowBranch(target);
  };
  return (
    <span className={styles.versions} role="group" aria-label={t('message.versions')}>
      <button
        type="button"
        aria-label={t('message.previousVersion')}
        disabled={!canAct || index === 0}
        onClick={() => {
          go(-1);
        }}
      >
        {back}
      </button>
      <span>{t('message.versionOf', { index: index + 1, total: siblings.length })}</span>
      <button
        type="button"
        aria-label={t('message.nextVersion')}
        disabled={!canAct || index === siblings.length - 1}
        onClick={() => {
          go(1);
        }}
      >
        {forward}
      </button>
    </span>
  );
}
