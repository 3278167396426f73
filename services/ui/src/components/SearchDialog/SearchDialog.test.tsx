import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import { App } from '../../App';
import { fakeApi, type FakeApi } from '../../test/fakeApi';
import type { SearchHit } from '../../types/chat';

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

/** Two chats, each with its answer written; the first one is open. */
async function withTwoChats(): Promise<{ api: FakeApi; user: ReturnType<typeof userEvent.setup> }> {
  const api = fakeApi();
  render(<App />);
  const user = userEvent.setup();
  for (const text of ['Pasta recipes', 'Weather in Berlin']) {
    if (text !== 'Pasta recipes') await user.click(screen.getByRole('button', { name: '+ New chat' }));
    await user.type(await screen.findByLabelText('Message'), `${text}{Enter}`);
    await waitFor(() => {
      expect(api.live.size).toBe(1);
    });
    act(() => {
      api.latest().delta(`About ${text}.`);
      api.latest().finish();
    });
    await screen.findByRole('heading', { name: text });
  }
  return { api, user };
}

function hitFor(api: FakeApi, title: string, snippet: SearchHit['snippet']): SearchHit {
  const stored = [...api.conversations.values()].find((c) => c.summary.title === title);
  const question = stored?.messages.find((m) => m.role === 'user');
  if (!stored || !question) throw new Error(`no chat ${title}`);
  return {
    conversation_id: stored.summary.id,
    title,
    message_id: question.id,
    role: 'user',
    snippet,
    rank: 1,
    at: '2026-12-06T08:00:00Z',
  };
}

const dialog = () => screen.getByRole('dialog', { name: 'Search chats' });

describe('the search', () => {
  it('opens on Ctrl+K, finds as you type, moves by arrows and opens the hit at its message with Enter', async () => {
    const { api, user } = await withTwoChats();
    api.searchHits = [
      hitFor(api, 'Weather in Berlin', [
        { text: 'Weather', match: false },
        { text: ' in Berlin', match: false },
      ]),
      hitFor(api, 'Pasta recipes', [
        { text: 'Pasta ', match: false },
        { text: 'recipes', match: true },
      ]),
    ];
    await user.keyboard('{Control>}k{/Control}');
    const box = await screen.findByRole('combobox', { name: 'Search your chats' });
    expect(box).toHaveFocus();

    await user.type(box, 'e');
    const options = await within(dialog()).findAllByRole('option');
    expect(options).toHaveLength(2);
    expect(options[0]).toHaveAttribute('aria-selected', 'true');
    expect(box).toHaveAttribute('aria-activedescendant', options[0]?.id);
    expect(within(options[1] as HTMLElement).getByText('recipes').tagName).toBe('MARK');

    await user.keyboard('{ArrowDown}');
    expect(options[1]).toHaveAttribute('aria-selected', 'true');
    expect(box).toHaveAttribute('aria-activedescendant', options[1]?.id);
    await user.keyboard('{ArrowDown}'); // round to the first
    expect(options[0]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowUp}{Enter}');

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    const hit = api.searchHits[1];
    expect(window.location.pathname).toBe(`/c/${hit?.conversation_id ?? ''}`);
    expect(window.location.hash).toBe(`#m-${hit?.message_id ?? ''}`);
    await screen.findByRole('heading', { name: 'Pasta recipes' });
    const message = await waitFor(() => {
      const element = document.getElementById(`m-${hit?.message_id ?? ''}`);
      expect(element).toHaveFocus();
      return element;
    });
    expect(message).toHaveAttribute('data-found');

    // The same hit again, after moving on: the message is shown again.
    await user.click(screen.getByLabelText('Message'));
    await user.keyboard('{Control>}k{/Control}');
    await user.type(await screen.findByRole('combobox', { name: 'Search your chats' }), 'recipes');
    await within(dialog()).findByRole('option');
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(message).toHaveFocus();
    });
  }, 15_000); // two chats written, then two searches: slow on a busy 2-core machine

  it('asks once the typing pauses, and shows the words it matched as text, never as markup', async () => {
    const { api, user } = await withTwoChats();
    api.searchHits = [hitFor(api, 'Pasta recipes', [{ text: '<img src=x onerror="alert(1)">', match: true }])];
    await user.click(screen.getByRole('button', { name: /^Search/ }));
    await user.type(await screen.findByRole('combobox', { name: 'Search your chats' }), 'img src');
    const option = await within(dialog()).findByRole('option');
    expect(api.searches).toEqual(['img src']);
    expect(option.querySelector('img')).toBeNull();
    expect(option).toHaveTextContent('<img src=x onerror="alert(1)">');
  });

  it('says when nothing matched, and when the search failed', async () => {
    const { api, user } = await withTwoChats();
    await user.keyboard('{Control>}k{/Control}');
    await user.type(await screen.findByRole('combobox', { name: 'Search your chats' }), 'nothing like it');
    expect(await within(dialog()).findByText('No results.')).toHaveAttribute('role', 'status');

    api.failNextWith(503, 'database_unavailable', 'Conversations cannot be read or saved right now.');
    await user.type(screen.getByRole('combobox', { name: 'Search your chats' }), '!');
    expect(await within(dialog()).findByRole('alert')).toHaveTextContent(
      'Conversations cannot be read or saved right now.',
    );
  });

  it('closes on Escape and gives the focus back to where it was', async () => {
    const { user } = await withTwoChats();
    const button = screen.getByRole('button', { name: /^Search/ });
    await user.click(button);
    await screen.findByRole('combobox', { name: 'Search your chats' });
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(button).toHaveFocus();
  });
});
