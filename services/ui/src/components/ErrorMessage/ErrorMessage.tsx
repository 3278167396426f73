import { useTranslation } from 'react-i18next';

import { errorText, SERVER_LANGUAGE } from '../../i18n/errors';
import type { ErrorInfo } from '../../types/chat';

/** A failure in the page's language; where the server's words say more, they follow, marked as English. */
export function ErrorMessage({ error }: { error: ErrorInfo }) {
  const { t, i18n } = useTranslation();
  const { text, detail } = errorText(t, i18n.resolvedLanguage, error);
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
