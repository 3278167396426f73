import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { lastAnswer, toolCards as cards } from '../../test/answers';
import { fakeApi, type Answer } from '../../test/fakeApi';
import { errorResponse } from '../../test/fakeFetch';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const prompt = () => screen.queryByRole('alertdialog');

const REMEMBER = { call_id: 'call-1', tool: 'builtin-remember', arguments: '{"fact": "I drink tea"}' };

/** A chat whose answer, being written, is at the tool call `REMEMBER`, waiting for the user's approval. */
async function askedForApproval() {
  const api = fakeApi();
  render(<App />);
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('Message'), 'Remember that I drink tea{Enter}');
  await waitFor(() => {
    expect(api.answers).toHaveLength(1);
  });
  const answer = api.latest();
  const expiresAt = new Date(Date.now() + 5 * 60_000).toISOString();
  act(() => {
    answer.delta('I will note that. ');
    answer.send('tool_call', { ...REMEMBER, complete: true });
    answer.send('approval_required', { ...REMEMBER, expires_at: expiresAt });
  });
  await screen.findByRole('alertdialog', { name: 'Allow remember to run?' });
  return { api, answer, user };
}

function finishWithResult(answer: Answer, status = 'ok') {
  act(() => {
    answer.send('tool_result', { ...REMEMBER, status, preview: 'Saved.', duration_ms: 8 });
    answer.delta('Noted.');
    answer.finish();
  });
}

describe('an answer waiting for approval', () => {
  it('a page opened on an answer at a tool waiting for approval replays its cards and the prompt', async () => {
    const api = fakeApi();
    api.cookie = true;
    const made = (await (await api.fetch('/api/conversations', { method: 'POST' })).json()) as { id: string };
    await api.fetch(`/api/conversations/${made.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ content: 'Remember tea' }),
    });
    const running = api.latest();
    running.delta('Noting it. ');
    running.send('tool_call', { ...REMEMBER, arguments: '{"fact": ', complete: false });
    running.send('tool_call', { ...REMEMBER, complete: true });
    running.send('approval_required', { ...REMEMBER, expires_at: new Date(Date.now() + 60_000).toISOString() });

    render(<App />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Remember tea' }));
    expect(await screen.findByRole('alertdialog', { name: 'Allow remember to run?' })).toBeInTheDocument();
    expect(cards()).toHaveLength(1);
    expect(cards()[0]).toHaveTextContent('Waiting for your approval');
    expect(lastAnswer()).toHaveTextContent('Noting it.');

    // Decided in another tab: the prompt goes here too, and the answer follows on.
    const follower = api.latest();
    act(() => {
      follower.send('approval_decided', { call_id: REMEMBER.call_id, decision: 'allow_once' });
    });
    await waitFor(() => {
      expect(prompt()).not.toBeInTheDocument();
    });
    expect(cards()[0]).toHaveTextContent('Running…');
    finishWithResult(follower);
    await waitFor(() => {
      expect(lastAnswer()).toHaveAttribute('data-status', 'done');
    });
    expect(lastAnswer()).toHaveTextContent('Noted.');
    expect(api.approvals).toEqual([]);
  });
});

describe('the approval prompt', () => {
  it('names the MCP server a tool comes from', async () => {
    const api = fakeApi();
    render(<App />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Message'), 'Note that the demo works{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    const call = { call_id: 'call-9', tool: 'notes-add_note', arguments: '{"text": "the demo works"}' };
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    act(() => {
      api.latest().send('tool_call', { ...call, complete: true });
      api.latest().send('approval_required', { ...call, expires_at: expiresAt });
    });
    expect(await screen.findByRole('alertdialog', { name: 'Allow add_note from notes to run?' })).toBeInTheDocument();
  });

  it('takes the focus on Deny (Enter never allows by default), names the tool and arguments, counts down', async () => {
    const { answer } = await askedForApproval();
    const dialog = screen.getByRole('alertdialog', { name: 'Allow remember to run?' });
    expect(within(dialog).getByRole('button', { name: 'Deny' })).toHaveFocus();
    expect(
      within(dialog)
        .getAllByRole('button')
        .map((button) => button.textContent),
    ).toEqual(['Deny', 'Allow once', 'Allow in this conversation']);
    expect(dialog).toHaveAccessibleDescription(/wants to use this tool.*"fact": "I drink tea".*left to decide/s);
    expect(dialog).toHaveTextContent(/[45]:\d\d left to decide/);
    expect(cards()[0]).toHaveTextContent('Waiting for your approval');
    finishWithResult(answer);
    await waitFor(() => {
      expect(prompt()).not.toBeInTheDocument(); // the result came: nothing is left to decide
    });
  });

  it('Allow once posts the decision for that call, goes, and gives the focus back', async () => {
    const { api, answer, user } = await askedForApproval();
    await user.click(screen.getByRole('button', { name: 'Allow once' }));
    await waitFor(() => {
      expect(prompt()).not.toBeInTheDocument();
    });
    expect(api.approvals).toEqual([{ answerId: answer.message.id, call_id: 'call-1', decision: 'allow_once' }]);
    expect(screen.getByLabelText('Message')).toHaveFocus();
    expect(cards()[0]).toHaveTextContent('Running…');
  });

  it('Allow in this conversation posts allow_conversation', async () => {
    const { api, user } = await askedForApproval();
    await user.tab();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Allow in this conversation' })).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(api.approvals.map((approval) => approval.decision)).toEqual(['allow_conversation']);
    });
  });

  it('Escape denies the tool, and does not stop the answer', async () => {
    const { api, user } = await askedForApproval();
    await user.keyboard('{Escape}');
    await waitFor(() => {
      expect(api.approvals.map((approval) => approval.decision)).toEqual(['deny']);
    });
    expect(prompt()).not.toBeInTheDocument();
    expect(api.stops).toEqual([]);
  });

  it.each([
    [409, 'conflict', 'That call was decided already.'],
    [404, 'not_found', 'No pending approval with that call id.'],
  ])('goes quietly when the server answers %i (decided elsewhere, or gone)', async (status, code, message) => {
    const { api, user } = await askedForApproval();
    api.nextApprovalReply = errorResponse(status, code, message);
    await user.click(screen.getByRole('button', { name: 'Allow once' }));
    await waitFor(() => {
      expect(prompt()).not.toBeInTheDocument();
    });
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('stays, saying so, when the decision reaches no server (503); a second try then goes through', async () => {
    const { api, user } = await askedForApproval();
    api.nextApprovalReply = errorResponse(503, 'stop_unavailable', 'The server writing this answer is out of reach.');
    await user.click(screen.getByRole('button', { name: 'Deny' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Your decision could not reach the answer');
    expect(prompt()).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Deny' }));
    await waitFor(() => {
      expect(prompt()).not.toBeInTheDocument();
    });
    expect(api.approvals.map((approval) => approval.decision)).toEqual(['deny', 'deny']);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
