import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from './App';
import { fakeServer } from './test/fakeServer';

afterEach(() => vi.unstubAllGlobals());

function assistantTurns() {
  return screen.queryAllByTestId('assistant-turn');
}

async function typeAndSend(text: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Message'), `${text}{Enter}`);
  return user;
}

describe('chatting', () => {
  it('streams an answer that grows as deltas arrive, then shows usage', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('Hello');

    expect(screen.getByLabelText('You')).toHaveTextContent('Hello');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    expect(server.latest().request).toEqual({ message: 'Hello', history: [], options: {} });

    act(() => {
      server.latest().delta('## Title\n\nFirst');
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveTextContent('First');
    });
    expect(await screen.findByRole('heading', { name: 'Title' })).toBeInTheDocument();

    act(() => {
      server.latest().delta(' and second.');
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveTextContent('First and second.');
    });

    act(() => {
      server.latest().finish();
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'done');
    });
    expect(screen.getByText('15 tokens')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeInTheDocument();
  });

  it('sends the conversation so far as history', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('one');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('reply one');
      server.latest().finish();
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'done');
    });

    await typeAndSend('two');
    await waitFor(() => {
      expect(server.answers).toHaveLength(2);
    });
    expect(server.latest().request.history).toEqual([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'reply one' },
    ]);
  });

  it('Shift+Enter adds a line; an empty message cannot be sent', async () => {
    const server = fakeServer();
    render(<App />);
    const user = userEvent.setup();
    const field = screen.getByLabelText('Message');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await user.type(field, '   {Enter}');
    await user.type(field, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(field).toHaveValue('   line one\nline two');
    expect(server.fetchMock).not.toHaveBeenCalled();
  });

  it('Stop keeps the partial answer, marks it stopped, and Retry asks again', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('Tell me a story');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('Once upon a time');
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveTextContent('Once upon a time');
    });

    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'stopped');
    });
    expect(assistantTurns()[0]).toHaveTextContent('Once upon a time');
    expect(within(assistantTurns()[0] as HTMLElement).getByText('Stopped')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => {
      expect(server.answers).toHaveLength(2);
    });
    expect(server.latest().request.message).toBe('Tell me a story');
    expect(assistantTurns()).toHaveLength(1); // the stopped answer was replaced
  });

  it('Esc stops a streaming answer', async () => {
    const server = fakeServer();
    render(<App />);
    const user = await typeAndSend('Hi');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('partial');
    });
    await user.keyboard('{Escape}');
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'stopped');
    });
  });

  it('shows the server error on the answer, keeps the message, and Retry succeeds', async () => {
    const server = fakeServer();
    server.failNextWith(
      429,
      'upstream_rate_limited',
      'The model is receiving too many requests. Please retry shortly.',
    );
    render(<App />);
    const user = await typeAndSend('Important question');

    expect(await screen.findByRole('alert')).toHaveTextContent('The model is receiving too many requests.');
    expect(screen.getByLabelText('You')).toHaveTextContent('Important question');

    await user.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    expect(server.latest().request.message).toBe('Important question');
    act(() => {
      server.latest().delta('Answer');
      server.latest().finish();
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'done');
    });
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows a mid-stream error event after the partial text', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('Hi');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('half an answer');
      server
        .latest()
        .send('error', { code: 'upstream_unavailable', message: 'The model service could not be reached. Retry.' });
    });
    expect(await screen.findByRole('alert')).toHaveTextContent('could not be reached');
    expect(assistantTurns()[0]).toHaveTextContent('half an answer');
  });

  it('explains answers cut by length or by the content filter', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('long');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('cut');
      server.latest().finish('length');
    });
    expect(await screen.findByText(/cut short by the length limit/)).toBeInTheDocument();

    await typeAndSend('filtered');
    await waitFor(() => {
      expect(server.answers).toHaveLength(2);
    });
    act(() => {
      server.latest().delta('some');
      server.latest().finish('content_filter');
    });
    expect(await screen.findByText(/withheld by the content filter/)).toBeInTheDocument();
  });
});

describe('conversations', () => {
  it('survive a reload, and can be created, switched and deleted', async () => {
    const server = fakeServer();
    const first = render(<App />);
    await typeAndSend('Remember me');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('I will.');
      server.latest().finish();
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'done');
    });
    first.unmount();

    render(<App />);
    expect(screen.getByLabelText('You')).toHaveTextContent('Remember me');
    expect(assistantTurns()[0]).toHaveTextContent('I will.');

    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: '+ New chat' }));
    expect(screen.queryByLabelText('You')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remember me' }));
    expect(screen.getByLabelText('You')).toHaveTextContent('Remember me');
    await user.click(screen.getByRole('button', { name: 'Delete chat: Remember me' }));
    expect(screen.queryByRole('button', { name: 'Remember me' })).not.toBeInTheDocument();
  });

  it('keeps an unsent draft across a reload', async () => {
    fakeServer();
    const first = render(<App />);
    await userEvent.setup().type(screen.getByLabelText('Message'), 'half-typed thought');
    first.unmount();
    render(<App />);
    expect(screen.getByLabelText('Message')).toHaveValue('half-typed thought');
  });

  it('sends the options chosen in settings', async () => {
    const server = fakeServer();
    render(<App />);
    const user = userEvent.setup();
    await user.click(screen.getByText('Settings'));
    await user.type(screen.getByLabelText('Max tokens'), '256');
    await user.type(screen.getByLabelText('Temperature'), '0.5');
    await typeAndSend('with options');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    expect(server.latest().request.options).toEqual({ max_tokens: 256, temperature: 0.5 });
  });
});

describe('saving', () => {
  it('has saved a finished answer by the time it shows as done', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('Save me');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('Saved.');
      server.latest().finish();
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveAttribute('data-status', 'done');
    });
    // No waiting after "done": a reload at this instant must find the answer stored.
    expect(localStorage.getItem('chat.conversations.v1')).toContain('Saved.');
  });

  it('saves a streaming answer when the page is hidden or closed', async () => {
    const server = fakeServer();
    render(<App />);
    await typeAndSend('Mid-stream');
    await waitFor(() => {
      expect(server.answers).toHaveLength(1);
    });
    act(() => {
      server.latest().delta('partial text');
    });
    await waitFor(() => {
      expect(assistantTurns()[0]).toHaveTextContent('partial text');
    });
    window.dispatchEvent(new Event('pagehide'));
    expect(localStorage.getItem('chat.conversations.v1')).toContain('partial text');
  });
});
