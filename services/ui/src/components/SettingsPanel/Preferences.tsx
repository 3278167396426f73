import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { LANGUAGES, type Language } from '../../i18n/i18n';
import { chooseLanguage, chosenLanguage, isLanguage, languageName } from '../../i18n/language';
import { chooseTheme, chosenTheme, THEMES, type Theme } from '../../theme/theme';
import styles from './SettingsPanel.module.css';

const THEME_NAMES = {
  system: 'settings.themeSystem',
  light: 'settings.themeLight',
  dark: 'settings.themeDark',
} as const satisfies Record<Theme, string>;

/** The page's own settings, kept in this browser: its language (or the browser's) and its theme. */
export function Preferences() {
  const { t } = useTranslation();
  const [language, setLanguage] = useState<Language | null>(chosenLanguage);
  const [theme, setTheme] = useState<Theme>(chosenTheme);
  return (
    <>
      <label className={styles.field}>
        <span>{t('settings.language')}</span>
        <select
          className={styles.choice}
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
      <label className={styles.field}>
        <span>{t('settings.theme')}</span>
        <select
          className={styles.choice}
          value={theme}
          onChange={(event) => {
            const next = THEMES.find((name) => name === event.target.value) ?? 'system';
            setTheme(next);
            chooseTheme(next);
          }}
        >
          {THEMES.map((name) => (
            <option key={name} value={name}>
              {t(THEME_NAMES[name])}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
