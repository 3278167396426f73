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
  const active = state.conversations.find((c) => c.id === state.activeId) ?? null;

  // What the callbacks below read when they run. They never change, so the memoised messages they are
  // handed to are not re-rendered while an answer streams in (see "Separating Events from Effects").
  const latest = useRef({ conversations: state.conversations, active, streaming, options });
  useLayoutEffect(() => {
    latest.current = { conversations: state.conversations, active, streaming, options };
  });

  // Persist: at once when idle, at most once a second while an answer streams in, and when the page goes.
  // A layout effect runs within the commit, so no reload can come between showing an answer and saving it.
  useLayoutEffect(() => {
    if (!streaming) {
      saveConversations(state.conversations);
      return;
    }
    const timer = window.setTimeout(() => {
      saveConversations(state.conversations);
    }, SAVE_WHILE_STREAMING_MS);
    return () => {
      window.clearTimeout(timer);
    };
  }, [state.conversations, streaming]);
  useEffect(() => {
    const save = () => {
      saveConversations(latest.current.conversations);
    };
    window.addEventListener('pagehide', save);
    return () => {
      window.removeEventListener('pagehide', save);
    };
  }, []);

  useEffect(() => () => controller.current?.abort(), []);

  const run = useCallback(async (conversationId: string, turnId: string, message: string, history: Message[]) => {
    const abort = new AbortController();
    controller.current = abort;
    setStreaming({ conversationId, turnId });
    const batcher = createFrameBatcher((text) => {
      dispatch({ type: 'append', conversationId, turnId, text });
    });
    let finishReason: FinishReason = 'stop';
    try {
      await streamChatEvents(
        { message, history, options: latest.current.options },
        {
          onDelta: (text) => {
            batcher.push(text);
          },
          onUsage: (usage) => {
            dispatch({ type: 'usage', conversationId, turnId, usage });
          },
          onDone: (reason) => {
            finishReason = reason;
          },
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
        const info =
          error instanceof ChatApiError
            ? error.toInfo()
            : { code: 'client_error', message: 'Something went wrong in the page. Retry.' };
        dispatch({ type: 'finish', conversationId, turnId, status: 'error', error: info });
      }
    } finally {
      if (controller.current === abort) controller.current = null;
      setStreaming(null);
    }
  }, []);

  /** Sends `text` in the active conversation (starting one if needed). False when it cannot send now. */
  const send = useCallback(
    (text: string): boolean => {
      if (latest.current.streaming || controller.current || !text.trim()) return false;
      const now = Date.now();
      let conversation = latest.current.active;
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
    [run],
  );

  /** Asks again for a failed or stopped answer: the same user message, the same history before it. */
  const retry = useCallback(
    (turnId: string) => {
      const { active: conversation, streaming: busy } = latest.current;
      if (busy || controller.current || !conversation) return;
      const index = conversation.turns.findIndex((turn) => turn.id === turnId);
      const user = conversation.turns[index - 1];
      if (index < 1 || !user || user.role !== 'user') return;
      const assistant = assistantTurn();
      dispatch({ type: 'retry', conversationId: conversation.id, failedId: turnId, assistant, now: Date.now() });
      void run(conversation.id, assistant.id, user.content, historyBefore(conversation.turns, index - 1));
    },
    [run],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  const newChat = useCallback(() => {
    const conversation = latest.current.active;
    if (conversation && conversation.turns.length === 0) return; // already on an empty chat
    dispatch({ type: 'new', conversation: emptyConversation(Date.now()) });
  }, []);

  const select = useCallback((id: string) => {
    dispatch({ type: 'select', id });
  }, []);

  const remove = useCallback((id: string) => {
    if (latest.current.streaming?.conversationId === id) controller.current?.abort();
    dispatch({ type: 'delete', id });
  }, []);

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
