import { useTranslation } from 'react-i18next';

import styles from './ImportOffer.module.css';

interface Props {
  count: number;
  busy: boolean;
  failed: boolean;
  onImport: () => void;
  onDiscard: () => void;
}

/** Chats this browser kept before they lived on the server: bring them in, or let them go. */
export function ImportOffer({ count, busy, failed, onImport, onDiscard }: Props) {
  const { t } = useTranslation();
  if (count === 0) return null;
  return (
    <section className={styles.offer} aria-label={t('importOffer.region')}>
      <p>{t('importOffer.question', { count })}</p>
      {failed && <p role="alert">{t('importOffer.failed')}</p>}
      <div className={styles.actions}>
        <button type="button" onClick={onImport} disabled={busy}>
          {t('importOffer.import')}
        </button>
        <button type="button" onClick={onDiscard} disabled={busy}>
          {t('importOffer.discard')}
        </button>
      </div>
    </section>
  );
}
