import { useMemo, useState } from 'react';

import type { User } from '../types/chat';
import { download } from '../lib/download';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';
import { createAdminApi, type AdminApi } from './adminApi';
import { AuditPanel } from './AuditPanel';
import { FeedbackPanel } from './FeedbackPanel';
import './i18n';
import { UsagePanel } from './UsagePanel';
import { UsersPanel } from './UsersPanel';

interface Props {
  user: User;
  /** `fetch` with the session's access token (lib/session.ts). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** Given in tests; otherwise made from `fetch`. */
  api?: AdminApi;
}

/** /admin: usage, users, the votes on answers and the audit log, for operators; anyone else is told it is not
 * for them (the api refuses them every admin route in any case). A conversation's content only as the votes'
 * question and answer, when the api is set to show them (ADMIN_SEES_FEEDBACK_CONTENT). */
export default function AdminPage({ user, fetch, api }: Props) {
  const { t } = useAdminText();
  const admin = useMemo(() => api ?? createAdminApi(fetch), [api, fetch]);
  const [version, setVersion] = useState(0);

  if (!user.admin) {
    return (
      <main className={styles.page}>
        <h1>{t('notAllowed')}</h1>
        <p>{t('notAllowedText')}</p>
        <a href="/">{t('back')}</a>
      </main>
    );
  }
  return (
    <main className={styles.page}>
      <header className={styles.header}>
        <h1>{t('title')}</h1>
        <a href="/">{t('back')}</a>
      </header>
      <UsagePanel api={admin} onDownload={download} />
      <UsersPanel
        api={admin}
        selfId={user.id}
        onChanged={() => {
          setVersion((current) => current + 1);
        }}
      />
      <FeedbackPanel api={admin} onDownload={download} />
      <AuditPanel api={admin} version={version} />
    </main>
  );
}
