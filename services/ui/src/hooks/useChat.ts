import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';

import { ChatApiError, isAbort } from '../lib/errors';
import { createFrameBatcher } from '../lib/frameBatcher';
import { newId } from '../lib/ids';
import { streamChatEvents } from '../lib/sseClient';
import { loadConversations, loadOptions, saveConversations, saveOptions } from '../lib/storage';
import type { ChatOptions, ChatTurn, Conversation, FinishReason, Message } from '../types/chat';
import { chatReducer, historyBefore, type ChatState } from './chatState';

const SAVE_WHILE_STREAMING_MS = 1000;

function initialState(): ChatState {
  const conversations = loadConversations();
  return { conversations, activeId: conversations[0]?.id ?? null };
}

function emptyConversation(now: number): Conversation {
  return { id: newId(), title: 'New chat', turns: [], updatedAt: now };
}

function assistantTurn(): ChatTurn {
  return { id: newId(), role: 'assistant', content: '', status: 'streaming' };
}

export interface Streaming {
  conversationId: string;
  turnId: string;
}

export function useChat() {
  const [state, dispatch] = useReducer(chatReducer, undefined, initialState);
  const [options, setOptionsState] = useState<ChatOptions>(loadOptions);
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const controller = useRef<AbortController | null>(null);

  // Persist: at once when idle, at most once a second while an answer streams in, and when the page goes.
  // A layout effect runs within the commit, so no reload can come between showing an answer and saving it.
  const latest = useRef(state.conversations);
  useLayoutEffect(() => {
    latest.current = state.conversations;
    if (!streaming) {
      saveConversations(state.conversations);
      return;
    }
    const timer = window.setTimeout(() => { saveConversations(state.conversations); }, SAVE_WHILE_STREAMING_MS);
    return () => { window.clearTimeout(timer); };
  }, [state.conversations, streaming]);
  useEffect(() => {
    const save = () => { saveConversations(latest.current); };
    window.addEventListener('pagehide', save);
    return () => { window.removeEventListener('pagehide', save); };
  }, []);

  useEffect(() => () => controller.current?.abort(), []);

  const run = useCallback(
    async (conversationId: string, turnId: string, message: string, history: Message[]) => {
      const abort = new AbortController();
      controller.current = abort;
      setStreaming({ conversationId, turnId });
      const batcher = createFrameBatcher((text) => { dispatch({ type: 'append', conversationId, turnId, text }); });
      let finishReason: FinishReason = 'stop';
      try {
        await streamChatEvents(
          { message, history, options },
          {
            onDelta: (text) => { batcher.push(text); },
            onUsage: (usage) => { dispatch({ type: 'usage', conversationId, turnId, usage }); },
            onDone: (reason) => { finishReason = reason; },
          },
          abort.signal,
        );
        batcher.flush();
        dispatch({ type: 'finish', conversationId, turnId, status: 'done', finishReason });
      } catch (error) {
        batcher.flush(); // the partial answer stays
        if (isAbort(error)) {
          dispatch({ type: 'finish', conversationId, turnId, status: 'stopped', finishReason: 'cancelled' });
        } else {
          const info = error instanceof ChatApiError
            ? error.toInfo()
            : { code: 'client_error', message: 'Something went wrong in the page. Retry.' };
          dispatch({ type: 'finish', conversationId, turnId, status: 'error', error: info });
        }
      } finally {
        if (controller.current === abort) controller.current = null;
        setStreaming(null);
      }
    },
    [options],
  );

  const active = state.conversations.find((c) => c.id === state.activeId) ?? null;

  /** Sends `text` in the active conversation (starting one if needed). False when it cannot send now. */
  const send = useCallback(
    (text: string): boolean => {
      if (streaming || !text.trim()) return false;
      const now = Date.now();
      let conversation = active;
      if (!conversation) {
        conversation = emptyConversation(now);
        dispatch({ type: 'new', conversation });
      }
      const user: ChatTurn = { id: newId(), role: 'user', content: text, status: 'done' };
      const assistant = assistantTurn();
      const history = historyBefore(conversation.turns, conversation.turns.length);
      dispatch({ type: 'send', conversationId: conversation.id, user, assistant, now });
      void run(conversation.id, assistant.id, text, history);
      return true;
    },
    [active, run, streaming],
  );

  /** Asks again for a failed or stopped answer: the same user message, the same history before it. */
  const retry = useCallback(
    (turnId: string) => {
      if (streaming || !active) return;
      const index = active.turns.findIndex((turn) => turn.id === turnId);
      const user = active.turns[index - 1];
      if (index < 1 || !user || user.role !== 'user') return;
      const assistant = assistantTurn();
      dispatch({ type: 'retry', conversationId: active.id, failedId: turnId, assistant, now: Date.now() });
      void run(active.id, assistant.id, user.content, historyBefore(active.turns, index - 1));
    },
    [active, run, streaming],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  const newChat = useCallback(() => {
    if (active && active.turns.length === 0) return; // already on an empty chat
    dispatch({ type: 'new', conversation: emptyConversation(Date.now()) });
  }, [active]);

  const select = useCallback((id: string) => { dispatch({ type: 'select', id }); }, []);

  const remove = useCallback(
    (id: string) => {
      if (streaming?.conversationId === id) controller.current?.abort();
      dispatch({ type: 'delete', id });
    },
    [streaming],
  );

  const setOptions = useCallback((next: ChatOptions) => {
    setOptionsState(next);
    saveOptions(next);
  }, []);

  return {
    conversations: state.conversations,
    active,
    streaming,
    options,
    send,
    stop,
    retry,
    newChat,
    select,
    remove,
    setOptions,
  };
}
