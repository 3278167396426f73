import { useCallback, useEffect, useId, useState } from 'react';

import type { ErrorInfo } from '../types/chat';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';
import { AdminFailure, MoreButton } from './AdminError';
import type { AdminApi, AuditEntry } from './adminApi';
import { formatMoment } from './format';

const ACTIONS = {
  'user.disable': 'audit.actions.disable',
  'user.enable': 'audit.actions.enable',
  'usage.export': 'audit.actions.usageExport',
  'feedback.export': 'audit.actions.feedbackExport',
  'tier.give': 'audit.actions.tierGive',
} as const;

interface Props {
  api: AdminApi;
  /** Changes when an action was taken on this page: the log is read again. */
  version?: number;
}

/** Every admin action (who, what, on whom, when), the newest first. */
export function AuditPanel({ api, version = 0 }: Props) {
  const { t, language } = useAdminText();
  const id = useId();
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<ErrorInfo | null>(null);

  const load = useCallback(
    (cursor: string | null) => {
      api.audit(cursor).then(
        (page) => {
          setEntries((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setNext(page.next_cursor);
        },
        (error: unknown) => {
          setFailure(error as ErrorInfo);
        },
      );
    },
    [api],
  );
  useEffect(() => {
    load(null);
  }, [load, version]);

  const action = (name: string) => (name in ACTIONS ? t(ACTIONS[name as keyof typeof ACTIONS]) : name);

  return (
    <section className={styles.section} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('tabs.audit')}</h2>
      <AdminFailure error={failure} />
      {entries === null ? (
        <p>{t('loading')}</p>
      ) : (
        <div className={styles.scroll}>
          <table className={styles.table}>
            <caption>{t('audit.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('audit.when')}</th>
                <th scope="col">{t('audit.who')}</th>
                <th scope="col">{t('audit.what')}</th>
                <th scope="col">{t('audit.target')}</th>
                <th scope="col">{t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.length === 0 && (
                <tr>
                  <td colSpan={5}>{t('noRows')}</td>
                </tr>
              )}
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatMoment(entry.at, language)}</td>
                  <td dir="auto">{entry.actor_id ? (entry.actor ?? entry.actor_id) : t('audit.commandLine')}</td>
                  <td>{action(entry.action)}</td>
                  <td dir="auto">{entry.target ?? entry.target_id ?? ''}</td>
                  <td className={styles.detail}>{entry.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <MoreButton
            next={next}
            onMore={(cursor) => {
              load(cursor);
            }}
          />
        </div>
      )}
    </section>
  );
}
