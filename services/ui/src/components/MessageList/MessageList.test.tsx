import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createRef } from 'react';
import { describe, expect, it } from 'vitest';

import { MAX_NESTING } from '../../lib/boundMarkdown';
import type { ChatMessage, MemorySummary } from '../../types/chat';
import { MessageList } from './MessageList';

function message(role: 'user' | 'assistant', content: string): ChatMessage {
  return {
    id: role,
    parent_id: null,
    role,
    content,
    status: 'done',
    finish_reason: 'stop',
    error: null,
    model: 'chat',
    usage: null,
    created_at: '',
    updated_at: '',
    sibling_ids: [role],
    parts: null,
  };
}

function renderMessages(messages: ChatMessage[], summary: MemorySummary | null = null) {
  return render(
    <MessageList
      messages={messages}
      canAct
      hasEarlier={false}
      summary={summary}
      onLoadEarlier={() => undefined}
      onRetry={() => undefined}
      onEdit={() => Promise.resolve(true)}
      onShowBranch={() => undefined}
      scrollRef={createRef()}
    />,
  );
}

function renderAnswer(content: string) {
  return renderMessages([message('assistant', content)]);
}

describe('MessageList', () => {
  it('marks where the model remembers earlier messages as a summary, and shows it on request', () => {
    const summary = {
      covers_message_id: 'assistant',
      covered_messages: 12,
      content: 'The user is planning a trip to Lisbon.',
      created_at: '',
    };
    const later = { ...message('user', 'later'), id: 'later', sibling_ids: ['later'] };
    renderMessages([message('user', 'first'), message('assistant', 'answer'), later], summary);
    const turns = screen.getAllByRole('listitem');
    const mark = screen.getByTestId('summary-mark');
    expect(turns.indexOf(mark)).toBe(2); // right after the message it covers up to
    expect(mark).toHaveTextContent('remembers the 12 messages above as a summary');
    expect(screen.getByText('The user is planning a trip to Lisbon.')).not.toBeVisible();
    mark.querySelector('summary')?.click();
    expect(screen.getByText('The user is planning a trip to Lisbon.')).toBeVisible();
  });

  it('puts the mark first when the message it covers up to is on an earlier page', () => {
    const summary = { covers_message_id: 'elsewhere', covered_messages: 3, content: 'Earlier.', created_at: '' };
    renderMessages([message('user', 'shown')], summary);
    expect(screen.getAllByRole('listitem')[0]).toBe(screen.getByTestId('summary-mark'));
  });

  it('renders GitHub-flavoured markdown with highlighted code and a copy button', async () => {
    const { container } = renderAnswer(
      '## Heading\n\n- one\n- two\n\n```python\nprint("hi")\n```\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n',
    );
    // Plain text first; then markdown (a chunk of its own), then the python grammar (another one).
    expect(await screen.findByRole('heading', { level: 2, name: 'Heading' })).toBeInTheDocument();
    await waitFor(() => {
      expect(container.querySelector('code.hljs .hljs-built_in')).toHaveTextContent('print');
    });
    expect(screen.getAllByRole('listitem').length).toBeGreaterThanOrEqual(3);
    expect(screen.getByRole('table')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy code' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy answer' })).toBeInTheDocument();
  });

  it('never renders raw HTML or script links from the model', async () => {
    const { container } = renderAnswer(
      'Hi <script>window.hacked = true</script> <img src=x onerror="window.hacked = true"> ' +
        '<b>bold?</b> [click](javascript:alert(1))',
    );
    await waitFor(() => {
      expect(container.querySelector('a')).not.toBeNull(); // markdown has rendered
    });
    const link = container.querySelector('a');
    expect(link).toHaveTextContent('click');
    expect(container.querySelector('script, img, b')).toBeNull();
    expect(container.textContent).toContain('<script>');
    expect(link?.getAttribute('href')).toBe(''); // the unsafe URL is dropped, the text stays
  });

  it('two edits open at once each have a field of their own, labelled', async () => {
    const second = { ...message('user', 'second'), id: 'second', sibling_ids: ['second'] };
    renderMessages([message('user', 'first'), message('assistant', 'answer'), second]);
    const user = userEvent.setup();
    for (const button of screen.getAllByRole('button', { name: 'Edit' })) await user.click(button);
    const turns = screen.getAllByTestId('user-turn');
    const fields = turns.map((turn) => within(turn).getByLabelText('Edit your message'));
    expect(fields.map((field) => (field as HTMLTextAreaElement).value)).toEqual(['first', 'second']);
    expect(new Set(fields.map((field) => field.id)).size).toBe(2);
  });

  it('offers no Edit on a message the server has not saved (pending), and Thinking… on its answer', () => {
    const mine = { ...message('user', 'sent'), status: 'pending' as const };
    const answer = { ...message('assistant', ''), status: 'pending' as const };
    renderMessages([mine, answer]);
    expect(screen.queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument();
    expect(screen.getByTestId('thinking')).toBeInTheDocument();
    expect(screen.getByTestId('assistant-turn')).toHaveAttribute('aria-busy', 'true');
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
  });

  it('shows user text as typed, not as markdown', () => {
    renderMessages([message('user', '# not a heading <b>x</b>')]);
    expect(screen.queryByRole('heading')).not.toBeInTheDocument();
    expect(screen.getByText('# not a heading <b>x</b>')).toBeInTheDocument();
  });

  // Each of these overflowed the renderer's stack ("Maximum call stack size exceeded") before its nesting
  // was bounded, and with no error boundary took the whole app down.
  it.each([
    ['3,000 nested blockquotes', '>'.repeat(3000) + ' deep', 'blockquote'],
    ['3,000 spaced blockquotes', '> '.repeat(3000) + 'deep', 'blockquote'],
    ['3,000 nested list items', '- '.repeat(3000) + 'deep', 'ul'],
    ['3,000 nested numbered items', '1. '.repeat(3000) + 'deep', 'ol'],
  ])('renders %s as markdown, nested no deeper than the bound', async (_name, bomb, element) => {
    const { container } = renderAnswer(bomb);
    const rendered = `[data-testid="assistant-turn"] ${element}`; // not the message list's own <ol>
    await waitFor(() => {
      expect(container.querySelector(rendered)).not.toBeNull();
    });
    expect(container.querySelectorAll(rendered)).toHaveLength(MAX_NESTING);
    expect(container.querySelector('[data-fallback]')).toBeNull();
    expect(container.textContent).toContain('deep');
  });

  it('shows a run of 10,000 `*` as written instead of 5,000 nested emphases', async () => {
    const { container } = renderAnswer(`${'*'.repeat(10_000)}x${'*'.repeat(10_000)}`);
    await waitFor(() => {
      expect(container.querySelector('p')?.textContent).toContain(`${'*'.repeat(10_000)}x`);
    });
    expect(container.querySelector('em, strong')).toBeNull();
  });
});
