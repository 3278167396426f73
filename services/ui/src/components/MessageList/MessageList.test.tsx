import { render, screen, waitFor } from '@testing-library/react';
import { createRef } from 'react';
import { describe, expect, it } from 'vitest';

import type { ChatMessage } from '../../types/chat';
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
  };
}

function renderMessages(messages: ChatMessage[]) {
  return render(
    <MessageList
      messages={messages}
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

function renderAnswer(content: string) {
  return renderMessages([message('assistant', content)]);
}

describe('MessageList', () => {
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

  it('shows user text as typed, not as markdown', () => {
    renderMessages([message('user', '# not a heading <b>x</b>')]);
    expect(screen.queryByRole('heading')).not.toBeInTheDocument();
    expect(screen.getByText('# not a heading <b>x</b>')).toBeInTheDocument();
  });
});
