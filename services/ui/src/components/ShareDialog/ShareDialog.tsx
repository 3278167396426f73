import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { formatDateTime } from '../../i18n/format';
import type { Api } from '../../lib/api';
import { ChatApiError, networkError } from '../../lib/errors';
import type { ShareView } from '../../types/chat';
import { CopyButton } from '../CopyButton';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import styles from './ShareDialog.module.css';

interface Props {
  api: Pick<Api, 'share' | 'shares' | 'revokeShare'>;
  conversationId: string;
  title: string;
  /** The last message of the branch on screen: the link shows the branch up to it. Null: nothing to share. */
  lastMessageId: string | null;
  onClose: () => void;
}

/** The address a share link's token is read at in this app (`/s/<token>`, see App.tsx). */
function sharedPageUrl(token: string): string {
  return `${window.location.origin}/s/${encodeURIComponent(token)}`;
}

const asError = (error: unknown) => (error instanceof ChatApiError ? error : networkError());

/**
 * Share the branch on screen as a read-only link (the conversation as it is now: later messages are not in
 * it), copy the link (shown this once: the server keeps only its hash), and revoke this chat's links.
 */
export function ShareDialog({ api, conversationId, title, lastMessageId, onClose }: Props) {
  const { t, i18n } = useTranslation();
  const [links, setLinks] = useState<ShareView[] | null>(null);
  const [created, setCreated] = useState<{ id: string; url: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ChatApiError | null>(null);
  const linkId = useId();

  useEffect(() => {
    let current = true;
    api.shares(conversationId).then(
      (page) => {
        if (current) setLinks(page.items);
      },
      (failure: unknown) => {
        if (current) setError(asError(failure));
      },
    );
    return () => {
      current = false;
    };
  }, [api, conversationId]);

  const create = async () => {
    if (!lastMessageId) return;
    setBusy(true);
    setError(null);
    try {
      const share = await api.share(conversationId, lastMessageId);
      setCreated({ id: share.id, url: sharedPageUrl(share.token) });
      const { token: _shownOnce, ...view } = share;
      setLinks((shown) => [view, ...(shown ?? [])]);
    } catch (failure) {
      setError(asError(failure));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (share: ShareView) => {
    setError(null);
    try {
      await api.revokeShare(share.id);
      setLinks((shown) => shown?.filter((item) => item.id !== share.id) ?? null);
      if (created?.id === share.id) setCreated(null); // the link shown was this one
    } catch (failure) {
      setError(asError(failure));
    }
  };

  return (
    <Modal title={t('share.title', { title })} onClose={onClose}>
      <p className={styles.intro}>{t('share.intro')}</p>
      {created ? (
        <div className={styles.created}>
          <label htmlFor={linkId}>{t('share.link')}</label>
          <span className={styles.linkRow}>
            <input
              id={linkId}
              className={styles.link}
              readOnly
              value={created.url}
              autoFocus
              onFocus={(event) => {
                event.currentTarget.select();
              }}
            />
            <CopyButton label={t('share.copy')} getText={() => created.url} />
          </span>
          <p className={styles.note}>{t('share.onlyOnce')}</p>
        </div>
      ) : (
        <button
          type="button"
          className={styles.primary}
          disabled={busy || !lastMessageId}
          autoFocus
          onClick={() => void create()}
        >
          {t('share.create')}
        </button>
      )}
      {error && (
        <p role="alert" className={styles.error}>
          <ErrorMessage error={error} />
        </p>
      )}
      <section aria-label={t('share.links')}>
        <h3 className={styles.subtitle}>{t('share.links')}</h3>
        {links === null ? (
          <p className={styles.note}>{t('share.loading')}</p>
        ) : links.length === 0 ? (
          <p className={styles.note}>{t('share.none')}</p>
        ) : (
          <ul className={styles.list}>
            {links.map((share) => {
              const when = formatDateTime(share.created_at, i18n.language);
              return (
                <li key={share.id} className={styles.item}>
                  <span>{t('share.item', { date: when, count: share.message_count })}</span>
                  <button
                    type="button"
                    className={styles.revoke}
                    aria-label={t('share.revokeLabel', { date: when })}
                    onClick={() => void revoke(share)}
                  >
                    {t('share.revoke')}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </Modal>
  );
}
