import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { LANGUAGES, type Language } from '../../i18n/i18n';
import { chooseLanguage, chosenLanguage, isLanguage, languageName } from '../../i18n/language';
import styles from './SettingsPanel.module.css';

/** The page's own settings, kept in this browser: its language (or the browser's). */
export function Preferences() {
  const { t } = useTranslation();
  const [language, setLanguage] = useState<Language | null>(chosenLanguage);
  return (
    <>
      <label className={styles.field}>
        <span>{t('settings.language')}</span>
        <select
          value={language ?? ''}
          onChange={(event) => {
            const next = isLanguage(event.target.value) ? event.target.value : null;
            setLanguage(next);
            void chooseLanguage(next);
          }}
        >
          <option value="">{t('settings.languageAuto')}</option>
          {LANGUAGES.map((code) => (
            // Each language in its own words: a reader who cannot read the page's still finds theirs.
            <option key={code} value={code} lang={code}>
              {languageName(code)}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
