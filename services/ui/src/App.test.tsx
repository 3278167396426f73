import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from './App';
import { fakeApi, type FakeApi } from './test/fakeApi';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
  localStorage.clear();
});

const answers = () => screen.queryAllByTestId('assistant-turn');
const lastAnswer = () => {
  const all = answers();
  const last = all.at(-1);
  if (!last) throw new Error('no answer on screen');
  return last;
};

async function start(api: FakeApi = fakeApi()) {
  render(<App />);
  await screen.findByLabelText('Message');
  return api;
}

async function typeAndSend(text: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Message'), `${text}{Enter}`);
  return user;
}

async function answered(api: FakeApi, count: number) {
  await waitFor(() => {
    expect(api.answers).toHaveLength(count);
  });
  return api.latest();
}

describe('a first visit', () => {
  it('chats at once as a guest, and says so', async () => {
    const api = await start();
    expect(api.guests).toBe(1);
    expect(screen.getByText(/chatting as a guest/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Keep my chats' })).toBeInTheDocument();
  });
});

describe('chatting', () => {
  it('streams an answer into a new conversation, then shows what the server saved', async () => {
    const api = await start();
    await typeAndSend('Hello');
    const answer = await answered(api, 1);
    expect(answer.request).toEqual({ content: 'Hello', options: {} });
    const [, init] = api.fetch.mock.calls.find(([url]) => url.endsWith('/messages')) ?? [];
    expect(new Headers(init?.headers).get('Idempotency-Key')).toMatch(/.{8,}/);
    expect(new Headers(init?.headers).get('Authorization')).toBe('Bearer token-1');

    act(() => {
      answer.delta('## Title\n\nFirst');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('First');
    });
    expect(await screen.findByRole('heading', { name: 'Title' })).toBeInTheDocument();
    act(() => {
      answer.delta(' and second.');
      answer.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(lastAnswer()).toHaveTextContent('First and second.');
    expect(lastAnswer()).toHaveAttribute('data-id', answer.message.id);
    expect(screen.getByText('15 tokens')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Hello' })).toHaveAttribute('aria-current', 'page');
  });

  it('Stop asks the server to stop the answer, which keeps what it wrote', async () => {
    const api = await start();
    await typeAndSend('Tell me a long story');
    const answer = await answered(api, 1);
    act(() => {
      answer.delta('Once upon');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('Once upon');
    });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'stopped');
    });
    expect(api.stops).toEqual([answer.message.id]);
    expect(lastAnswer()).toHaveTextContent('Once upon');
    expect(within(lastAnswer()).getByText('Stopped')).toBeInTheDocument();
  });

  it('a Stop that reached no one is sent again a second later, and stops the answer', async () => {
    const api = await start();
    api.stopsUnreached = 1; // Redis restarting: the replica writing it was not reached
    await typeAndSend('Tell me a long story');
    const answer = await answered(api, 1);
    act(() => {
      answer.delta('Once upon');
    });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(
      () => {
        expect(lastAnswer()).toHaveAttribute('data-status', 'stopped');
      },
      { timeout: 3000 },
    );
    expect(api.stops).toEqual([answer.message.id, answer.message.id]);
    expect(screen.queryByText(/Stop could not reach the answer/)).not.toBeInTheDocument();
  });

  it('says so when Stop still reaches no one, and lets the answer go on', async () => {
    const api = await start();
    api.stopsUnreached = 2;
    await typeAndSend('Tell me a long story');
    const answer = await answered(api, 1);
    act(() => {
      answer.delta('Once upon');
    });
    await userEvent.setup().click(screen.getByRole('button', { name: 'Stop' }));
    expect(await screen.findByText(/Stop could not reach the answer/, {}, { timeout: 3000 })).toBeInTheDocument();
    expect(api.stops).toHaveLength(2);
    expect(screen.getByRole('button', { name: 'Stop' })).toBeInTheDocument(); // it may go on: Stop again
    act(() => {
      answer.delta(' a time');
      answer.finish('stop');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(screen.queryByText(/Stop could not reach the answer/)).not.toBeInTheDocument();
  });

  it('says it is thinking from the start event to the first word, and Stop there says stopped', async () => {
    const api = await start();
    await typeAndSend('A hard question');
    const answer = await answered(api, 1); // the server named the answer (`start`), no word yet
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-id', answer.message.id);
    });
    expect(within(lastAnswer()).getByRole('status')).toHaveTextContent('Thinking…');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Stop' }));
    expect(api.stops).toEqual([answer.message.id]); // sent at once: the answer has its id
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'stopped');
    });
    expect(within(lastAnswer()).queryByTestId('thinking')).not.toBeInTheDocument();
    expect(within(lastAnswer()).getByText('Stopped')).toBeInTheDocument();
  });

  it('the thinking note gives way to the first word', async () => {
    const api = await start();
    await typeAndSend('Hello');
    const answer = await answered(api, 1);
    expect(await within(lastAnswer()).findByTestId('thinking')).toBeInTheDocument();
    act(() => {
      answer.delta('Hi');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('Hi');
    });
    expect(within(lastAnswer()).queryByTestId('thinking')).not.toBeInTheDocument();
  });

  it('an answer that ended without finishing is an error that keeps its text, with Retry', async () => {
    const api = await start();
    await typeAndSend('Tell me more');
    const answer = await answered(api, 1);
    act(() => {
      answer.delta('It was a dark');
      answer.fail('upstream_incomplete', "The model's answer ended without finishing. Retry.");
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'error');
    });
    expect(lastAnswer()).toHaveTextContent('It was a dark');
    expect(within(lastAnswer()).getByRole('alert')).toHaveTextContent('ended without finishing');
    expect(within(lastAnswer()).getByRole('button', { name: 'Retry' })).toBeEnabled();
  });

  it('shows a failure on the answer; the message stays in the conversation', async () => {
    const api = await start();
    await typeAndSend('first');
    const first = await answered(api, 1);
    act(() => {
      first.delta('ok');
      first.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    api.failNextWith(429, 'upstream_rate_limited', 'The model is receiving too many requests.');
    await typeAndSend('second');
    await waitFor(() => {
      expect(within(lastAnswer()).getByRole('alert')).toHaveTextContent('too many requests');
    });
    expect(screen.getAllByTestId('user-turn').at(-1)).toHaveTextContent('second');
  });
});

describe('limits', () => {
  it("shows the day's token budget once it runs low, and the refusal in words when it is out", async () => {
    const api = fakeApi();
    api.usage = {
      limited: true,
      tokens_per_day: { limit: 50_000, used: 46_000, remaining: 4_000, resets_in_s: 7_500 },
    };
    await start(api);
    expect(
      await screen.findByText(/4,000 of 50,000 tokens left today; resets in 2 hr, 5 min \(midnight UTC\)/),
    ).toBeInTheDocument();
    await typeAndSend('first');
    const first = await answered(api, 1);
    act(() => {
      first.delta('ok');
      first.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    api.failNextWith(429, 'quota_exceeded', "Today's budget of 50,000 tokens would be exceeded by this message.");
    await typeAndSend('a long question');
    await waitFor(() => {
      expect(within(lastAnswer()).getByRole('alert')).toHaveTextContent('budget of 50,000 tokens would be exceeded');
    });
    expect(screen.getAllByTestId('user-turn').at(-1)).toHaveTextContent('a long question'); // nothing typed is lost
  });

  it('says nothing while plenty is left', async () => {
    const api = fakeApi();
    api.usage = {
      limited: true,
      tokens_per_day: { limit: 50_000, used: 1_000, remaining: 49_000, resets_in_s: 7_500 },
    };
    await start(api);
    await waitFor(() => {
      expect(api.calls.some((call) => call.endsWith('/api/me/usage'))).toBe(true);
    });
    expect(screen.queryByText(/tokens left today/)).not.toBeInTheDocument();
    // Asked only once the session exists (asked before, its 401 would end the guest session being started).
    expect(api.calls.indexOf('/api/me/usage')).toBeGreaterThan(api.calls.indexOf('/api/auth/guest'));
    expect(api.guests).toBe(1);
  });
});

describe('branches', () => {
  async function twoTurns(api: FakeApi) {
    await typeAndSend('one');
    const first = await answered(api, 1);
    act(() => {
      first.delta('answer one');
      first.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    return first;
  }

  it('Retry makes a second answer beside the first; ‹ › moves between them', async () => {
    const api = await start();
    const first = await twoTurns(api);
    const user = userEvent.setup();
    await user.click(within(lastAnswer()).getByRole('button', { name: 'Retry' }));
    const second = await answered(api, 2);
    act(() => {
      second.delta('answer two');
      second.finish();
    });
    await waitFor(() => {
      expect(within(lastAnswer()).getByText('2 / 2')).toBeInTheDocument();
    });
    expect(lastAnswer()).toHaveTextContent('answer two');
    await user.click(within(lastAnswer()).getByRole('button', { name: 'Previous version' }));
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('answer one');
    });
    expect(within(lastAnswer()).getByText('1 / 2')).toBeInTheDocument();
    expect(lastAnswer()).toHaveAttribute('data-id', first.message.id);
  });

  it('Edit sends a new version of a message; the old one stays', async () => {
    const api = await start();
    await twoTurns(api);
    const user = userEvent.setup();
    const mine = screen.getAllByTestId('user-turn')[0];
    if (!mine) throw new Error('no user turn');
    await user.click(within(mine).getByRole('button', { name: 'Edit' }));
    const field = screen.getByLabelText('Edit your message');
    await user.clear(field);
    await user.type(field, 'one, better');
    await user.click(screen.getByRole('button', { name: 'Save and send' }));
    const edited = await answered(api, 2);
    expect(edited.request).toEqual({ content: 'one, better', options: {}, parent_id: null });
    act(() => {
      edited.delta('better answer');
      edited.finish();
    });
    await waitFor(() => {
      expect(within(screen.getAllByTestId('user-turn')[0] as HTMLElement).getByText('2 / 2')).toBeInTheDocument();
    });
  });
});

describe('an answer outlives its connection', () => {
  it('a dropped connection is followed again from the last event, with no text lost or repeated', async () => {
    const api = await start();
    await typeAndSend('Stream through a tunnel');
    const answer = await answered(api, 1);
    act(() => {
      answer.delta('Before ');
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('Before');
    });
    act(() => {
      answer.cut();
    });
    expect(await screen.findByText(/reconnecting/)).toBeInTheDocument();
    const again = await answered(api, 2);
    const followed = api.fetch.mock.calls.find(([url]) => url.includes('/api/generations/'));
    expect(new Headers(followed?.[1]?.headers).get('Last-Event-ID')).toBe('2'); // start, then one delta
    act(() => {
      again.delta('and after.');
      again.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(lastAnswer()).toHaveTextContent('Before and after.');
    expect(screen.queryByText(/reconnecting/)).not.toBeInTheDocument();
  });

  it('a page opened on an answer still being written shows it and follows it to the end', async () => {
    const api = fakeApi();
    api.cookie = true;
    const made = (await (await api.fetch('/api/conversations', { method: 'POST' })).json()) as { id: string };
    await api.fetch(`/api/conversations/${made.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ content: 'hi' }),
    });
    const running = api.latest();
    running.delta('Half of it');
    localStorage.clear();
    render(<App />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'hi' }));
    await waitFor(() => {
      expect(lastAnswer()).toHaveTextContent('Half of it');
    });
    const follower = await answered(api, 2);
    act(() => {
      follower.delta(', and the rest.');
      follower.finish();
    });
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(lastAnswer()).toHaveTextContent('Half of it, and the rest.');
  });
});

describe('accounts', () => {
  it('a guest keeps its chats by creating an account', async () => {
    const api = await start();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Keep my chats' }));
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText(/^Password/), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('ada@example.com')).toBeInTheDocument();
    expect(api.account).toBe('ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByText(/chatting as a guest/)).toBeInTheDocument();
  });

  it('an account deletes itself after a confirmation that names what goes, and the app starts afresh', async () => {
    const api = await start();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Keep my chats' }));
    await user.type(screen.getByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText(/^Password/), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('ada@example.com')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Message'), 'a half-written secret');

    await user.click(screen.getByRole('button', { name: 'Delete my account' }));
    const form = screen.getByRole('form', { name: 'Delete my account' });
    expect(form).toHaveAccessibleDescription(/every conversation, its messages and summaries, and every session/);
    await user.keyboard('{Escape}'); // the password field has the focus: Escape cancels
    expect(screen.queryByRole('form', { name: 'Delete my account' })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Delete my account' }));
    expect(screen.getByLabelText('Password')).toHaveFocus();
    await user.keyboard('wrong password{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('The password is wrong.');
    expect(api.deletedAccounts).toBe(0);

    await user.clear(screen.getByLabelText('Password'));
    await user.keyboard('correct horse{Enter}');
    expect(await screen.findByText(/chatting as a guest/)).toBeInTheDocument();
    expect(api.deletedAccounts).toBe(1);
    expect(screen.queryByText('ada@example.com')).not.toBeInTheDocument();
    expect(screen.queryByText(/Your session ended/)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Message')).toHaveValue('');
    expect(Object.keys(localStorage).map((key) => localStorage.getItem(key))).not.toContainEqual(
      expect.stringContaining('secret'),
    );
    expect(api.guests).toBe(2); // a new guest, from the start
  });

  it('a guest deletes itself with a confirmation only', async () => {
    const api = await start();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Delete my account' }));
    expect(screen.queryByLabelText('Password')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete everything for good' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(api.deletedAccounts).toBe(1);
    });
    await waitFor(() => {
      expect(api.guests).toBe(2);
    });
    expect(await screen.findByText(/chatting as a guest/)).toBeInTheDocument();
  });

  it('offers the chats this browser kept before, once', async () => {
    localStorage.setItem(
      'chat.conversations.v1',
      JSON.stringify([
        {
          id: 'x',
          title: 'Old chat',
          updatedAt: 1,
          turns: [{ id: 't', role: 'user', content: 'hello', status: 'done' }],
        },
      ]),
    );
    const api = await start();
    const offer = screen.getByRole('region', { name: 'Chats kept in this browser' });
    expect(offer).toHaveTextContent('1 chat');
    await userEvent.setup().click(within(offer).getByRole('button', { name: 'Import' }));
    await waitFor(() => {
      expect(api.imported).toEqual(['Old chat']);
    });
    expect(screen.queryByRole('region', { name: 'Chats kept in this browser' })).not.toBeInTheDocument();
    expect(localStorage.getItem('chat.conversations.v1')).toBeNull();
  });
});
