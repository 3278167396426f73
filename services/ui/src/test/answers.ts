import { screen, within } from '@testing-library/react';

/** The last answer on screen. */
export function lastAnswer(): HTMLElement {
  const last = screen.queryAllByTestId('assistant-turn').at(-1);
  if (!last) throw new Error('no answer on screen');
  return last;
}

/** The tool cards of the last answer, in order. */
export function toolCards(): HTMLElement[] {
  return within(lastAnswer()).queryAllByTestId('tool-card');
}
