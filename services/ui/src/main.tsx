import { startTransition, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { loadMarkdown } from './components/Markdown/lazy';
import { i18nReady } from './i18n/i18n';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The first render waits for the page's language (English is here already; another is one small chunk), so
// it never shows English first. As a transition, it yields to the browser every few milliseconds instead of
// holding the main thread for the whole tree (a cold load measured tasks of 60 ms without it).
const render = () => {
  startTransition(() => {
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  });
};
i18nReady.then(render, render); // a language that failed to load: English, rather than no page

// Fetch the markdown renderer once the page is idle, so the first answer renders with it.
const browser: Partial<Pick<Window, 'requestIdleCallback'>> = window;
if (browser.requestIdleCallback) {
  window.requestIdleCallback(() => void loadMarkdown());
} else {
  window.setTimeout(() => void loadMarkdown(), 200); // Safari has no requestIdleCallback
}
