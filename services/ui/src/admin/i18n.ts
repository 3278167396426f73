/** The admin view's strings: a namespace of their own (`admin`), in this lazily loaded chunk, so that the page
 * every user loads carries none of them. */
import i18next from 'i18next';

import de from './locales/de.json';
import en from './locales/en.json';

export const ADMIN_NS = 'admin';
export const ADMIN_LOCALES: Record<string, unknown> = { en, de };

for (const [language, strings] of Object.entries(ADMIN_LOCALES)) {
  i18next.addResourceBundle(language, ADMIN_NS, strings, true, false);
}
