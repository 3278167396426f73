import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef } from 'react';
import { describe, expect, it } from 'vitest';

import type { ChatMessage, ShownStatus } from '../../types/chat';
import type { AnswerPart, ShownToolCall, ToolResultPart, ToolStatus } from '../../types/tools';
import { MessageList } from '../MessageList';
import { ToolCard } from './ToolCard';

const CALL: ShownToolCall = {
  type: 'tool_call',
  call_id: 'c1',
  tool: 'builtin-calculate',
  arguments: '{"expression":"6*7"}',
};

function resultOf(status: ToolStatus, preview = '42', durationMs = 420): ToolResultPart {
  return { type: 'tool_result', call_id: 'c1', tool: CALL.tool, status, preview, duration_ms: durationMs };
}

const card = () => screen.getByRole('group', { name: 'Tool calculate' });

describe('a tool card', () => {
  it('shows the arguments as they stream, then pretty-printed, and is busy until the result', () => {
    const { rerender } = render(
      <ToolCard call={{ ...CALL, arguments: '{"expression":"6', complete: false }} result={null} underway />,
    );
    expect(card()).toHaveAttribute('aria-busy', 'true');
    expect(card()).toHaveTextContent('Preparing…');
    expect(card()).toHaveTextContent('{"expression":"6'); // as it is, while incomplete
    rerender(<ToolCard call={{ ...CALL, complete: true }} result={null} underway />);
    expect(card()).toHaveTextContent('Running…');
    expect(card().querySelector('code')?.textContent).toBe('{\n  "expression": "6*7"\n}');
    rerender(<ToolCard call={{ ...CALL, complete: true }} result={resultOf('ok')} underway />);
    expect(card()).toHaveAttribute('aria-busy', 'false');
    expect(card()).toHaveTextContent('Done');
    expect(card()).toHaveTextContent('420 ms');
    expect(within(card()).getByText('built-in')).toBeInTheDocument();
  });

  it('says it waits for the user while an approval is pending', () => {
    render(<ToolCard call={{ ...CALL, approval: { expires_at: '2099-01-01T00:00:00Z' } }} result={null} underway />);
    expect(card()).toHaveTextContent('Waiting for your approval');
    expect(card()).toHaveAttribute('aria-busy', 'true');
  });

  it('folds the result away, in the tab order, a click from sight', async () => {
    render(<ToolCard call={CALL} result={resultOf('ok', '{"value":42}', 1250)} underway={false} />);
    expect(card()).toHaveTextContent('1.3 s');
    const value = within(card()).getByText(/"value": 42/);
    expect(value).not.toBeVisible();
    const user = userEvent.setup();
    await user.tab();
    expect(within(card()).getByText('Result')).toHaveFocus(); // (Enter opens it in a browser; jsdom does not)
    await user.click(within(card()).getByText('Result'));
    expect(value).toBeVisible();
  });

  it.each([
    ['error', 'Failed'],
    ['denied', 'Denied'],
    ['cancelled', 'Cancelled'],
    ['timeout', 'Timed out'],
  ] as const)('shows a %s call plainly', (status, label) => {
    render(<ToolCard call={CALL} result={resultOf(status, `The ${status} message.`)} underway={false} />);
    expect(card()).toHaveTextContent(label);
    expect(card()).toHaveAttribute('data-state', status);
    // An error's message is in sight; the others' notes are folded like a result.
    expect(within(card()).getByText(`The ${status} message.`)).toBeInTheDocument();
    if (status === 'error') expect(within(card()).getByText('The error message.')).toBeVisible();
  });

  it('a call with no result in an answer that has ended says so, and is not busy', () => {
    render(<ToolCard call={CALL} result={null} underway={false} />);
    expect(card()).toHaveTextContent('No result');
    expect(card()).toHaveAttribute('aria-busy', 'false');
  });
});

function answer(parts: AnswerPart[] | null, content: string, status: ShownStatus = 'done'): ChatMessage {
  return {
    id: 'a1',
    parent_id: null,
    role: 'assistant',
    content,
    status,
    finish_reason: 'stop',
    error: null,
    model: 'chat',
    usage: null,
    created_at: '',
    updated_at: '',
    sibling_ids: ['a1'],
    parts,
  };
}

function renderAnswer(message: ChatMessage) {
  return render(
    <MessageList
      messages={[message]}
      canAct
      hasEarlier={false}
      onLoadEarlier={() => undefined}
      onRetry={() => undefined}
      onEdit={() => Promise.resolve(true)}
      onShowBranch={() => undefined}
      scrollRef={createRef()}
    />,
  );
}

describe('a saved answer with tool parts', () => {
  it('shows its text and cards in order, each card with its result', async () => {
    const parts: AnswerPart[] = [
      { type: 'text', text: 'Let me check.' },
      CALL,
      resultOf('ok', '42'),
      { type: 'text', text: 'It is 42.' },
    ];
    renderAnswer(answer(parts, 'Let me check.It is 42.'));
    const turn = screen.getByTestId('assistant-turn');
    await within(turn).findByText('It is 42.');
    const order = [...turn.querySelectorAll('p, [data-testid="tool-card"]')].map((node) =>
      node.getAttribute('data-testid') === 'tool-card'
        ? `card:${node.getAttribute('data-state') ?? ''}`
        : node.textContent,
    );
    expect(order.filter((entry) => entry !== '')).toEqual(['Let me check.', 'card:ok', 'It is 42.']);
  });

  it('a message without parts shows its content as before', async () => {
    renderAnswer(answer(null, 'Just text.'));
    expect(await screen.findByText('Just text.')).toBeInTheDocument();
    expect(screen.queryByTestId('tool-card')).not.toBeInTheDocument();
  });

  it('an answer still being written says it is thinking again while the model reads the results', () => {
    renderAnswer(answer([CALL, resultOf('ok')], '', 'streaming'));
    expect(screen.getByTestId('thinking')).toBeInTheDocument();
  });
});
