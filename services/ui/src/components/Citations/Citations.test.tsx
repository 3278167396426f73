import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { lastAnswer } from '../../test/answers';
import { fakeApi } from '../../test/fakeApi';
import { renderMessages, savedMessage } from '../../test/messages';
import type { ChatMessage } from '../../types/chat';
import type { CitationPart } from '../../types/files';
import type { AnswerPart } from '../../types/tools';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

function citation(number: number, page: number | null, text: string): CitationPart {
  return {
    type: 'citation',
    number,
    file_id: `f${String(number)}`,
    file: 'report.pdf',
    page,
    section: 'Results',
    text,
  };
}

const answer = (parts: AnswerPart[] | null, content: string) => savedMessage('assistant', content, { parts });
const show = (message: ChatMessage) => renderMessages([message]);

const TEXT = 'Revenue grew [1], costs fell [2][3], margins held [1, 3]; see a[4] and [9].';
const SAVED: AnswerPart[] = [
  { type: 'text', text: 'Revenue grew [' },
  citation(1, 2, 'Revenue grew by 12 % in 2026.'),
  { type: 'text', text: '1], costs fell [' },
  citation(2, 3, 'Costs fell.'),
  { type: 'text', text: '2][' },
  citation(3, null, 'Margins held.'),
  { type: 'text', text: '3], margins held [1, 3]; see a[4] and [9].' },
];

describe('an answer’s citations', () => {
  it('show its markers as numbered references and its sources under it; other numbers stay text', async () => {
    show(answer(SAVED, TEXT));
    const refs = await screen.findAllByTestId('citation-ref');
    expect(refs.map((ref) => ref.textContent)).toEqual(['1', '2', '3', '1', '3']);
    expect(refs[0]).toHaveAccessibleName('Source 1: report.pdf');
    expect(lastAnswer()).toHaveTextContent('see a[4] and [9].');
    const sources = await screen.findByRole('region', { name: 'Sources' }); // a lazy chunk
    expect(
      within(sources)
        .getAllByRole('button')
        .map((button) => button.textContent),
    ).toEqual(['1report.pdfpage 2', '2report.pdfpage 3', '3report.pdf']);
  });

  it('open the passage from a reference or a source, by keyboard, and give the focus back', async () => {
    const user = userEvent.setup();
    show(answer(SAVED, TEXT));
    const [first] = await screen.findAllByTestId('citation-ref');
    first?.focus();
    await user.keyboard('{Enter}');
    const dialog = await screen.findByRole('dialog', { name: 'Source 1' });
    expect(within(dialog).getByTestId('passage')).toHaveTextContent('Revenue grew by 12 % in 2026.');
    expect(dialog).toHaveTextContent('report.pdf · page 2');
    expect(dialog).toHaveTextContent('Section: Results');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(first).toHaveFocus();

    const [, second] = within(await screen.findByRole('region', { name: 'Sources' })).getAllByRole('button');
    await user.click(second as HTMLElement);
    expect(await screen.findByRole('dialog', { name: 'Source 2' })).toHaveTextContent('Costs fell.');
  });

  it('leave an answer without citations as it was: its brackets are text, and no sources', async () => {
    show(answer(null, 'An array a[1] and a note [2].'));
    await waitFor(() => {
      expect(lastAnswer().querySelector('p')).toHaveTextContent('An array a[1] and a note [2].');
    });
    expect(screen.queryByTestId('citation-ref')).not.toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Sources' })).not.toBeInTheDocument();
  });
});

describe('citations in a streaming answer', () => {
  it('come as events before the text completing their marker, split over two deltas', async () => {
    const api = fakeApi();
    render(<App />);
    await userEvent.setup().type(await screen.findByLabelText('Message'), 'What grew?{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    const live = api.latest();
    const { type: _type, ...event } = citation(1, 2, 'Revenue grew by 12 %.');
    act(() => {
      live.delta('Revenue grew [');
      live.send('citation', event);
      live.delta('1');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('Revenue grew [1');
    });
    expect(screen.queryByTestId('citation-ref')).not.toBeInTheDocument(); // not a marker yet
    act(() => {
      live.delta('] this year.');
    });
    const ref = await screen.findByTestId('citation-ref');
    expect(ref).toHaveAccessibleName('Source 1: report.pdf');
    expect(lastAnswer()).toHaveTextContent('Revenue grew 1 this year.');
    expect(await within(lastAnswer()).findByRole('region', { name: 'Sources' })).toHaveTextContent('report.pdf');
  });
});
