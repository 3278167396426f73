import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { lastAnswer, toolCards as cards } from '../../test/answers';
import { fakeApi } from '../../test/fakeApi';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('tool cards in a streaming answer', () => {
  it('appear as the events come, in order with the text, and stay the same once the answer is saved', async () => {
    const api = fakeApi();
    render(<App />);
    await userEvent.setup().type(await screen.findByLabelText('Message'), 'What time is it?{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    const answer = api.latest();
    const call = { call_id: 't1', tool: 'builtin-current_time' };
    act(() => {
      answer.delta('Let me look. ');
      answer.send('tool_call', { ...call, arguments: '{"timez', complete: false });
    });
    await waitFor(() => {
      expect(cards()).toHaveLength(1);
    });
    const card = () => within(lastAnswer()).getByRole('group', { name: 'Tool current_time' });
    expect(card()).toHaveTextContent('Preparing…');
    expect(card()).toHaveTextContent('{"timez');
    act(() => {
      answer.send('tool_call', { ...call, arguments: 'one": "UTC"}', complete: false });
      answer.send('tool_call', { ...call, arguments: '{"timezone": "UTC"}', complete: true });
    });
    await waitFor(() => {
      expect(card()).toHaveTextContent('Running…');
    });
    expect(card()).toHaveAttribute('aria-busy', 'true');
    act(() => {
      answer.send('tool_result', { ...call, status: 'ok', preview: '"12:00"', duration_ms: 5 });
      answer.delta('It is noon.');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('It is noon.');
    });
    expect(card()).toHaveTextContent('Done');
    const text = lastAnswer().textContent;
    const at = (words: string) => text.indexOf(words);
    expect([at('Let me look.'), at('current_time'), at('It is noon.')]).toEqual(
      [at('Let me look.'), at('current_time'), at('It is noon.')].sort((a, b) => a - b),
    );
    expect(at('Let me look.')).toBeGreaterThanOrEqual(0);

    // As the server saves it: the page shows its copy after the answer ends.
    answer.message.parts = [
      { type: 'text', text: 'Let me look. ' },
      { type: 'tool_call', ...call, arguments: '{"timezone": "UTC"}' },
      { type: 'tool_result', ...call, status: 'ok', preview: '"12:00"', duration_ms: 5 },
      { type: 'text', text: 'It is noon.' },
    ];
    act(() => {
      answer.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(card()).toHaveTextContent('Done');
    expect(card()).toHaveAttribute('aria-busy', 'false');
    expect(lastAnswer()).toHaveTextContent('It is noon.');
  });
});
