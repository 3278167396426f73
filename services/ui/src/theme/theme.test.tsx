import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import bootScript from '../../public/theme.js?raw';
import { App } from '../App';
import { fakeApi } from '../test/fakeApi';
import { applyTheme, chooseTheme, chosenTheme, THEME_KEY } from './theme';
import { openSettings } from '../test/settings';

afterEach(() => {
  applyTheme('system');
});

/** Runs public/theme.js as the browser does, before the app. */
function boot() {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the page's own file, as index.html loads it
  const run = new Function(bootScript) as () => void;
  run();
}

describe('the theme', () => {
  it('follows the system until one is chosen', () => {
    expect(chosenTheme()).toBe('system');
    boot();
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('chosen, is kept in this browser and applied before the first paint on the next visit', () => {
    chooseTheme('dark');
    expect(localStorage.getItem(THEME_KEY)).toBe('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    applyTheme('system'); // a new page
    boot();
    expect(document.documentElement.dataset.theme).toBe('dark');
  });

  it('back to the system forgets the choice', () => {
    chooseTheme('light');
    chooseTheme('system');
    expect(localStorage.getItem(THEME_KEY)).toBeNull();
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('ignores a kept value it does not know, before the first paint and after', () => {
    localStorage.setItem(THEME_KEY, 'sepia');
    boot();
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(chosenTheme()).toBe('system');
  });

  it('is picked in the settings', async () => {
    fakeApi();
    render(<App />);
    const user = userEvent.setup();
    await openSettings(user);
    const picker = await screen.findByLabelText('Theme');
    expect(picker).toHaveValue('system');
    await user.selectOptions(picker, 'Dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem(THEME_KEY)).toBe('dark');
  });
});
