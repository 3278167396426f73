import 'i18next';

import type admin from '../admin/locales/en.json';
import type en from './locales/en.json';

// Keys are checked at compile time against the English strings (the reference every language must match). The
// admin view's are a namespace of their own, loaded with its chunk (src/admin/i18n.ts).
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en; admin: typeof admin };
  }
}
