import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import { App } from '../../App';
import { withAChat } from '../../test/chats';
import { fakeApi } from '../../test/fakeApi';

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

const answer = () => within(screen.getByTestId('assistant-turn'));
const thumb = (name: 'Good answer' | 'Bad answer') => answer().findByRole('button', { name });

describe('a vote on an answer', () => {
  it('is a pressed thumb, changed to a thumbs down with a reason, then withdrawn', async () => {
    const { api, user } = await withAChat('Hi there.');
    const answerId = screen.getByTestId('assistant-turn').dataset.id ?? '';
    await user.click(await thumb('Good answer'));
    await waitFor(async () => {
      expect(await thumb('Good answer')).toHaveAttribute('aria-pressed', 'true');
    });
    expect(await thumb('Bad answer')).toHaveAttribute('aria-pressed', 'false');
    expect(api.votes).toEqual([{ answerId, vote: { rating: 'up' } }]);

    await user.click(await thumb('Bad answer'));
    const why = await answer().findByRole('form', { name: 'What was wrong?' });
    expect(await thumb('Bad answer')).toHaveAttribute('aria-pressed', 'true');
    expect(await thumb('Good answer')).toHaveAttribute('aria-pressed', 'false');
    await user.click(within(why).getByRole('radio', { name: 'Incomplete' }));
    await user.type(within(why).getByLabelText('More details (optional)'), 'It stops halfway.');
    await user.click(within(why).getByRole('button', { name: 'Send' }));
    await waitFor(() => {
      expect(answer().queryByRole('form')).not.toBeInTheDocument();
    });
    expect(api.votes.slice(1)).toEqual([
      { answerId, vote: { rating: 'down' } },
      { answerId, vote: { rating: 'down', reason: 'incomplete', comment: 'It stops halfway.' } },
    ]);

    await user.click(await thumb('Bad answer'));
    await waitFor(async () => {
      expect(await thumb('Bad answer')).toHaveAttribute('aria-pressed', 'false');
    });
    expect(api.votes.at(-1)).toEqual({ answerId, vote: null });
    expect(await thumb('Good answer')).toHaveAttribute('aria-pressed', 'false');
  });

  it('comes with the messages: a saved vote shows pressed when the chat opens', async () => {
    const api = fakeApi();
    api.cookie = true;
    const made = (await (await api.fetch('/api/conversations', { method: 'POST' })).json()) as { id: string };
    await api.fetch(`/api/conversations/${made.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ content: 'Hello' }),
    });
    api.latest().delta('Hi there.');
    api.latest().finish();
    const saved = api.conversations.get(made.id)?.messages.at(-1);
    if (!saved) throw new Error('no answer');
    saved.feedback = { rating: 'down', reason: 'unhelpful', comment: null, updated_at: '2026-12-06T08:00:00Z' };

    render(<App />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Hello' }));
    expect(await thumb('Bad answer')).toHaveAttribute('aria-pressed', 'true');
    expect(await thumb('Good answer')).toHaveAttribute('aria-pressed', 'false');
  });

  it('that fails to save says so and leaves the vote as it was', async () => {
    const { api, user } = await withAChat('Hi there.');
    api.failNextWith(503, 'database_unavailable', 'Conversations cannot be read or saved right now.');
    await user.click(await thumb('Good answer'));
    expect(await answer().findByRole('alert')).toHaveTextContent('Conversations cannot be read or saved right now.');
    expect(await thumb('Good answer')).toHaveAttribute('aria-pressed', 'false');
  });
});
