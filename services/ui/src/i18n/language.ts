import { loadPreference, savePreference } from '../lib/storage';
import { i18n, LANGUAGE_KEY, LANGUAGES, type Language } from './i18n';

export function isLanguage(value: string | null): value is Language {
  return (LANGUAGES as readonly (string | null)[]).includes(value);
}

/** The language chosen in this browser, or null: the browser's own. */
export function chosenLanguage(): Language | null {
  const chosen = loadPreference(LANGUAGE_KEY);
  return isLanguage(chosen) ? chosen : null;
}

/** Shows the page in `language` from now on, here and on the next visit; null goes back to the browser's. */
export async function chooseLanguage(language: Language | null): Promise<void> {
  savePreference(LANGUAGE_KEY, language);
  await i18n.changeLanguage(language ?? undefined); // undefined: detect again
}

/** A language's name in that language ("Deutsch", "English"), as a picker shows it. */
export function languageName(language: Language): string {
  return new Intl.DisplayNames([language], { type: 'language' }).of(language) ?? language;
}
