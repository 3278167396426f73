/**
 * The UI's strings (react-i18next). English is in the first load; any other language is a chunk of its own,
 * fetched when chosen (or when the browser asks for it), so a language added costs the others nothing.
 * The language: the one chosen in Settings (kept in this browser), else the browser's first supported one.
 */
import i18next, { type LanguageDetectorModule } from 'i18next';
import resourcesToBackend from 'i18next-resources-to-backend';
import { initReactI18next } from 'react-i18next';

import { loadPreference } from '../lib/storage';
import en from './locales/en.json';

export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_KEY = 'chat.language.v1';

// One import per language with a string literal, so the bundler makes one chunk per language.
const LAZY: Record<Exclude<Language, 'en'>, () => Promise<{ default: unknown }>> = {
  de: () => import('./locales/de.json'),
};

function lazyLanguage(language: string): Promise<unknown> {
  const load = (LAZY as Record<string, (() => Promise<{ default: unknown }>) | undefined>)[language];
  return load ? load().then((module) => module.default) : Promise.resolve(null);
}

/** The choice kept in this browser first, then every language the browser asks for, in its order. */
const detector: LanguageDetectorModule = {
  type: 'languageDetector',
  detect: () => {
    const chosen = loadPreference(LANGUAGE_KEY);
    return chosen ? [chosen, ...navigator.languages] : [...navigator.languages];
  },
  cacheUserLanguage: () => undefined, // only an explicit choice is kept (see `chooseLanguage`)
};

/** The page speaks the language shown: `<html lang>` and the writing direction follow it. */
function followLanguage(): void {
  const shown = i18next.resolvedLanguage ?? 'en';
  document.documentElement.lang = shown;
  document.documentElement.dir = i18next.dir(shown);
}

i18next.on('languageChanged', followLanguage);

/** Resolves once the detected language's strings are here (at once for English). */
export const i18nReady = i18next
  .use(detector)
  .use(resourcesToBackend((language: string) => lazyLanguage(language)))
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en } },
    partialBundledLanguages: true, // English is bundled; the backend loads the others
    supportedLngs: LANGUAGES,
    nonExplicitSupportedLngs: true, // de-AT and de-CH read German
    load: 'languageOnly',
    fallbackLng: 'en',
    interpolation: { escapeValue: false }, // React escapes what it renders
  });

export { i18next as i18n };
