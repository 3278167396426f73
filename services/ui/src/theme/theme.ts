/**
 * Light, dark, or as the system says. The choice is kept in this browser and applied before the first paint
 * by `public/theme.js` (a classic script in <head>: the page's CSP allows no inline script); the colours are
 * CSS custom properties with both values in `light-dark()` (styles.css), so a theme is only `color-scheme`.
 */
import { loadPreference, savePreference } from '../lib/storage';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
/** Read by public/theme.js as well: keep the two in step. */
export const THEME_KEY = 'chat.theme.v1';

function isTheme(value: string | null): value is Theme {
  return (THEMES as readonly (string | null)[]).includes(value);
}

export function chosenTheme(): Theme {
  const kept = loadPreference(THEME_KEY);
  return isTheme(kept) ? kept : 'system';
}

/** `data-theme` on <html> pins the colour scheme; without it the system's applies. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function chooseTheme(theme: Theme): void {
  savePreference(THEME_KEY, theme === 'system' ? null : theme);
  applyTheme(theme);
}
