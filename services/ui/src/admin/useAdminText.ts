/** The admin view's strings in the page's language. Read through i18next itself, not react-i18next: a lazy
 * chunk that imports react-i18next makes the bundler (rolldown) split React out of the first load's chunk into
 * a shared one, which costs every user about 1 kB gzip more on the first load. */
import i18next from 'i18next';
import { useEffect, useMemo, useState } from 'react';

import { ADMIN_NS } from './i18n';

export function useAdminText() {
  const [language, setLanguage] = useState(() => i18next.resolvedLanguage ?? 'en');
  useEffect(() => {
    const follow = () => {
      setLanguage(i18next.resolvedLanguage ?? 'en');
    };
    i18next.on('languageChanged', follow);
    return () => {
      i18next.off('languageChanged', follow);
    };
  }, []);
  const t = useMemo(() => i18next.getFixedT(language, ADMIN_NS), [language]);
  const common = useMemo(() => i18next.getFixedT(language), [language]);
  return { t, common, language };
}
