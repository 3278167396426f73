import { errorText, SERVER_LANGUAGE } from '../i18n/errors';
import type { ErrorInfo } from '../types/chat';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';

/** A failure in the page's language, as the page's own ErrorMessage says it (without react-i18next: see
 * useAdminText). */
export function AdminError({ error }: { error: ErrorInfo }) {
  const { common, language } = useAdminText();
  const { text, detail } = errorText(common, language, error);
  return (
    <>
      {text}
      {detail && (
        <>
          {' '}
          <span lang={SERVER_LANGUAGE}>{detail}</span>
        </>
      )}
    </>
  );
}

/** A panel's failure, if any, as an alert. */
export function AdminFailure({ error }: { error: ErrorInfo | null }) {
  if (!error) return null;
  return (
    <p role="alert" className={styles.error}>
      <AdminError error={error} />
    </p>
  );
}

/** "Show more", while a list has a next page. */
export function MoreButton({ next, onMore }: { next: string | null; onMore: (cursor: string) => void }) {
  const { t } = useAdminText();
  if (!next) return null;
  return (
    <button
      type="button"
      onClick={() => {
        onMore(next);
      }}
    >
      {t('more')}
    </button>
  );
}
