import { render, screen, within } from '@testing-library/react';
import { createRef } from 'react';
import { describe, expect, it, vi } from 'vitest';

import type { ChatMessage } from '../../types/chat';
import { MessageList } from './MessageList';

// A renderer that breaks on one answer, as the markdown renderer did on 3,000 nested blockquotes. Whatever
// input breaks it next, each message is on its own.
vi.mock('../Markdown/lazy', () => ({
  LazyMarkdown: ({ text }: { text: string }) => {
    if (text.includes('BREAKS THE RENDERER')) throw new RangeError('Maximum call stack size exceeded');
    return <p>{text}</p>;
  },
}));

function answer(id: string, content: string): ChatMessage {
  return {
    id,
    parent_id: null,
    role: 'assistant',
    content,
    status: 'done',
    finish_reason: 'stop',
    error: null,
    model: 'chat',
    usage: null,
    created_at: '',
    updated_at: '',
    sibling_ids: [id],
    parts: null,
  };
}

describe('a message that fails to render', () => {
  it('shows as plain text with a note, alone: the other messages render as before', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined); // React reports the caught error
    const hostile = '>>> BREAKS THE RENDERER\n  kept   as   written';
    render(
      <MessageList
        messages={[answer('a1', 'Before'), answer('a2', hostile), answer('a3', 'After')]}
        canAct
        hasEarlier={false}
        onLoadEarlier={() => undefined}
        onRetry={() => undefined}
        onEdit={() => Promise.resolve(true)}
        onShowBranch={() => undefined}
        scrollRef={createRef()}
      />,
    );
    const turns = screen.getAllByTestId('assistant-turn');
    expect(turns).toHaveLength(3);
    expect(turns[0]).toHaveTextContent('Before');
    expect(turns[2]).toHaveTextContent('After');
    expect(within(turns[2] as HTMLElement).getByRole('button', { name: 'Retry' })).toBeInTheDocument(); // an ordinary turn, with its actions
    const fallback = turns[1];
    expect(fallback).toHaveAttribute('data-fallback', 'plain-text');
    expect(fallback).toHaveAttribute('data-id', 'a2');
    expect(fallback?.querySelector('p')?.textContent).toBe(hostile); // exact: spaces and newlines kept
    expect(fallback).toHaveTextContent('could not be formatted, so it is shown as plain text');
  });
});
