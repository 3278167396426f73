import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

import { i18nReady } from '../i18n/i18n';

await i18nReady;

// A lazily imported chunk (the markdown renderer, a grammar) is compiled on its first use in a test run: on a
// busy 2-core machine that alone measured up to 1 s, Testing Library's default wait.
configure({ asyncUtilTimeout: 3000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
