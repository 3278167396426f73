import { render } from '@testing-library/react';
import { createRef, type ReactNode } from 'react';

import { MessageList } from '../components/MessageList';
import type { ChatMessage } from '../types/chat';

/** A saved message, `done`, with what the test gives it. */
export function savedMessage(
  role: ChatMessage['role'],
  content: string,
  extra: Partial<ChatMessage> = {},
): ChatMessage {
  const id = extra.id ?? (role === 'user' ? 'u1' : 'a1');
  return {
    id,
    parent_id: null,
    role,
    content,
    status: 'done',
    finish_reason: role === 'assistant' ? 'stop' : null,
    error: null,
    model: role === 'assistant' ? 'chat' : null,
    usage: null,
    created_at: '',
    updated_at: '',
    sibling_ids: [id],
    parts: null,
    ...extra,
  };
}

/** The message list showing `messages`, nothing to do on them; `wrap` puts a provider around it. */
export function renderMessages(messages: ChatMessage[], wrap: (list: ReactNode) => ReactNode = (list) => list) {
  return render(
    wrap(
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
    ),
  );
}
