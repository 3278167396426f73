import { describe, expect, it } from 'vitest';

import type { ChatMessage, ConversationDetail } from '../types/chat';
import {
  conversationReducer as reduce,
  initialConversation,
  loadedFrom,
  placeholder,
  type ConversationState,
} from './conversationState';

function saved(id: string, role: 'user' | 'assistant', parentId: string | null, content = id): ChatMessage {
  return {
    ...placeholder(role, id, parentId, content),
    status: 'done',
    finish_reason: role === 'user' ? null : 'stop',
  };
}

function detail(messages: ChatMessage[], earlier: string | null = null): ConversationDetail {
  return {
    id: 'c1',
    title: 't',
    created_at: '',
    updated_at: '',
    tools_enabled: true,
    messages: { items: messages, earlier },
  };
}

const START = {
  request_id: 'r',
  model: 'chat',
  conversation_id: 'c1',
  user_message_id: 'u2',
  assistant_message_id: 'a2',
};

/** A conversation `c1` with one exchange, then a new message asked after it (placeholders `p-u`, `p-a`). */
function asked(): ConversationState {
  const loaded = reduce(
    initialConversation,
    loadedFrom('c1', detail([saved('u1', 'user', null), saved('a1', 'assistant', 'u1')])),
  );
  const user = placeholder('user', 'p-u', 'a1', 'Next?');
  return reduce(loaded, { type: 'asked', parentId: 'a1', user, answer: placeholder('assistant', 'p-a', 'p-u') });
}

describe('conversationReducer', () => {
  it('shows a message asked, and its answer, as pending until the server names them', () => {
    const state = asked();
    expect(state.messages.map((m) => [m.id, m.status])).toEqual([
      ['u1', 'done'],
      ['a1', 'done'],
      ['p-u', 'pending'],
      ['p-a', 'pending'],
    ]);
  });

  it('gives the placeholders the server’s ids and statuses at the start, their links too', () => {
    const state = reduce(asked(), { type: 'started', placeholderId: 'p-a', placeholderUserId: 'p-u', info: START });
    const [, , user, answer] = state.messages;
    expect(user).toMatchObject({ id: 'u2', parent_id: 'a1', status: 'done', sibling_ids: ['u2'] });
    expect(answer).toMatchObject({ id: 'a2', parent_id: 'u2', status: 'streaming', sibling_ids: ['a2'] });
  });

  it('asking after an earlier message drops the branch below it (an edit); a retry adds no user message', () => {
    const state = asked();
    const edit = reduce(state, {
      type: 'asked',
      parentId: null,
      user: placeholder('user', 'p-u2', null, 'Instead'),
      answer: placeholder('assistant', 'p-a2', 'p-u2'),
    });
    expect(edit.messages.map((m) => m.id)).toEqual(['p-u2', 'p-a2']);
    const retry = reduce(state, {
      type: 'asked',
      parentId: 'u1',
      user: null,
      answer: placeholder('assistant', 'p-a3', 'u1'),
    });
    expect(retry.messages.map((m) => m.id)).toEqual(['u1', 'p-a3']);
  });

  it('appends text, or replaces it when the answer is replayed from its first event', () => {
    let state = reduce(asked(), { type: 'started', placeholderId: 'p-a', placeholderUserId: 'p-u', info: START });
    state = reduce(state, { type: 'append', answerId: 'a2', text: 'Hel' });
    state = reduce(state, { type: 'append', answerId: 'a2', text: 'lo' });
    expect(state.messages.at(-1)?.content).toBe('Hello');
    state = reduce(state, { type: 'restart', answerId: 'a2', text: 'Hi' });
    expect(state.messages.at(-1)).toMatchObject({ content: 'Hi', status: 'streaming' });
  });

  it('ends an answer stopped, done or failed, keeping its text', () => {
    let state = reduce(asked(), { type: 'started', placeholderId: 'p-a', placeholderUserId: 'p-u', info: START });
    state = reduce(state, { type: 'append', answerId: 'a2', text: 'Part' });
    const stopped = reduce(state, { type: 'ended', answerId: 'a2', status: 'stopped', finishReason: 'cancelled' });
    expect(stopped.messages.at(-1)).toMatchObject({ content: 'Part', status: 'stopped', finish_reason: 'cancelled' });
    const failed = reduce(state, {
      type: 'ended',
      answerId: 'a2',
      status: 'error',
      error: { code: 'upstream_incomplete', message: 'Cut.' },
    });
    expect(failed.messages.at(-1)).toMatchObject({ content: 'Part', status: 'error', error: { message: 'Cut.' } });
  });

  it('a request refused before the start leaves the user’s message pending (never saved) and the answer failed', () => {
    const state = reduce(asked(), {
      type: 'ended',
      answerId: 'p-a',
      status: 'error',
      error: { code: 'rate_limited', message: 'Slow down.' },
    });
    expect(state.messages.slice(2).map((m) => [m.id, m.status, m.content])).toEqual([
      ['p-u', 'pending', 'Next?'],
      ['p-a', 'error', ''],
    ]);
  });

  it('takes usage and a snapshot for the answer they name', () => {
    let state = reduce(asked(), { type: 'started', placeholderId: 'p-a', placeholderUserId: 'p-u', info: START });
    state = reduce(state, { type: 'usage', answerId: 'a2', usage: { prompt_tokens: 1, completion_tokens: 2 } });
    expect(state.messages.at(-1)?.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2 });
    state = reduce(state, {
      type: 'snapshot',
      snapshot: {
        assistant_message_id: 'a2',
        content: 'All',
        status: 'done',
        finish_reason: 'stop',
        usage: null,
        error: null,
        parts: null,
      },
    });
    expect(state.messages.at(-1)).toMatchObject({ content: 'All', status: 'done', finish_reason: 'stop', usage: null });
  });

  it('a reload keeps the message objects that did not change, so they do not render again', () => {
    const first = reduce(
      initialConversation,
      loadedFrom('c1', detail([saved('u1', 'user', null), saved('a1', 'assistant', 'u1')])),
    );
    const changed = { ...saved('a1', 'assistant', 'u1'), content: 'new words' };
    const again = reduce(first, loadedFrom('c1', detail([saved('u1', 'user', null), changed])));
    expect(again.messages[0]).toBe(first.messages[0]);
    expect(again.messages[1]).toBe(changed);
  });

  it('another conversation’s messages replace these whole; earlier pages go in front', () => {
    const first = reduce(initialConversation, loadedFrom('c1', detail([saved('u1', 'user', null)])));
    const other = reduce(first, { ...loadedFrom('c2', detail([saved('u1', 'user', null)], 'cursor')) });
    expect(other.conversationId).toBe('c2');
    expect(other.messages[0]).not.toBe(first.messages[0]);
    const more = reduce(other, { type: 'earlier', messages: [saved('u0', 'user', null)], earlier: null });
    expect(more.messages.map((m) => m.id)).toEqual(['u0', 'u1']);
    expect(more.earlier).toBeNull();
  });

  it('a first message adopts the conversation made for it', () => {
    expect(reduce(initialConversation, { type: 'adopted', conversationId: 'c9' }).conversationId).toBe('c9');
  });

  it('turns an answer that calls a tool into parts: its text so far, the call, its result, the next text', () => {
    let state = reduce(asked(), { type: 'started', placeholderId: 'p-a', placeholderUserId: 'p-u', info: START });
    state = reduce(state, { type: 'append', answerId: 'a2', text: 'Checking. ' });
    const data = { call_id: 'c', tool: 'builtin-current_time', arguments: '{"timezone": "UTC"}', complete: true };
    state = reduce(state, { type: 'tool', answerId: 'a2', event: { name: 'tool_call', data } });
    state = reduce(state, {
      type: 'tool',
      answerId: 'a2',
      event: {
        name: 'tool_result',
        data: { call_id: 'c', tool: data.tool, status: 'ok', preview: '12:00', duration_ms: 3 },
      },
    });
    state = reduce(state, { type: 'append', answerId: 'a2', text: 'It is noon.' });
    const answer = state.messages.at(-1);
    expect(answer?.content).toBe('Checking. It is noon.');
    expect(answer?.parts?.map((part) => part.type)).toEqual(['text', 'tool_call', 'tool_result', 'text']);
    expect(state.messages[0]?.parts).toBeNull(); // the others are untouched

    // A replay from the first event starts the parts again: its tool events follow.
    const replayed = reduce(state, { type: 'restart', answerId: 'a2', text: 'Checking. ' });
    expect(replayed.messages.at(-1)).toMatchObject({ content: 'Checking. ', parts: null });

    // A snapshot brings the parts as saved.
    const parts = [{ type: 'text' as const, text: 'Saved.' }];
    const snapped = reduce(state, {
      type: 'snapshot',
      snapshot: {
        assistant_message_id: 'a2',
        content: 'Saved.',
        status: 'done',
        finish_reason: 'stop',
        usage: null,
        error: null,
        parts,
      },
    });
    expect(snapped.messages.at(-1)?.parts).toBe(parts);
  });
});
