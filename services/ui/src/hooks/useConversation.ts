import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';

import { readAnswer, type AnswerEnd, type Body } from '../lib/answerStream';
import type { Api } from '../lib/api';
import { ChatApiError, isAbort } from '../lib/errors';
import { createFrameBatcher } from '../lib/frameBatcher';
import { newId } from '../lib/ids';
import { stopAnswer } from '../lib/stopAnswer';
import type { ChatOptions, ConversationSummary } from '../types/chat';
import { conversationReducer, initialConversation, loadedFrom, placeholder } from './conversationState';

const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

export interface Streaming {
  answerId: string;
  /** The connection dropped: following the answer again from the last event. */
  reconnecting: boolean;
}

interface Options {
  api: Api;
  conversationId: string | null;
  options: ChatOptions;
  /** A conversation was made for the first message, or one changed (a title, a new answer). */
  onChanged: (conversation: ConversationSummary | null, id: string) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    const online = () => {
      window.clearTimeout(timer);
      resolve();
    };
    window.addEventListener('online', online, { once: true }); // back online: try at once
    signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}

/**
 * One conversation: its branch of messages from the server, and its answer streaming in. An answer does not
 * belong to this page: closing the tab leaves it running on the server; a reload, a dropped connection or
 * another tab follows it again from the last event seen. Stop asks the server to stop it.
 */
export function useConversation({ api, conversationId, options, onChanged }: Options) {
  const [state, dispatch] = useReducer(conversationReducer, initialConversation);
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const [failure, setFailure] = useState<{ conversationId: string | null; error: ChatApiError } | null>(null);
  const follow = useRef<AbortController | null>(null);
  const stopWanted = useRef(false);

  // What the stable callbacks below read when they run.
  const latest = useRef({ api, conversationId, options, onChanged, state, streaming });
  useLayoutEffect(() => {
    latest.current = { api, conversationId, options, onChanged, state, streaming };
  });

  const reload = useCallback(async (id: string) => {
    const detail = await latest.current.api.conversation(id);
    if (latest.current.conversationId !== id && latest.current.conversationId !== null) return null;
    dispatch(loadedFrom(id, detail));
    return detail;
  }, []);

  /** Stop, tried again once if it reached no one; said on screen if it still did not. */
  const stopReaching = useCallback((answerId: string) => {
    const { api: client, conversationId: id } = latest.current;
    void stopAnswer(client, answerId).then((error) => {
      // (An answer that has ended meanwhile needs no word about its Stop.)
      if (error && latest.current.streaming?.answerId === answerId) setFailure({ conversationId: id, error });
    });
  }, []);

  /** Reads an answer to its end, following it again (with backoff) whenever the connection drops. */
  const run = useCallback(
    async (
      conversation: string,
      open: () => Promise<Body>,
      answerPlaceholder: string,
      userPlaceholder: string | null,
      replay: boolean,
    ) => {
      const abort = new AbortController();
      follow.current?.abort();
      follow.current = abort;
      let answerId = answerPlaceholder;
      let started = replay;
      setStreaming({ answerId, reconnecting: false });
      // A replay (after a reload, or a cut that lost its place) starts the answer again: what is shown stays
      // until the replay's first text replaces it, in the same update (never an empty answer for a frame).
      let restarting = false;
      const batcher = createFrameBatcher((text) => {
        dispatch(restarting ? { type: 'restart', answerId, text } : { type: 'append', answerId, text });
        restarting = false;
      });
      const flush = () => {
        batcher.flush();
        if (restarting) dispatch({ type: 'restart', answerId, text: '' });
        restarting = false;
      };
      const handlers = {
        onStart: (info: Parameters<NonNullable<Parameters<typeof readAnswer>[1]['onStart']>>[0]) => {
          flush();
          started = true;
          if (answerId === answerPlaceholder && answerPlaceholder !== info.assistant_message_id) {
            dispatch({ type: 'started', placeholderId: answerPlaceholder, placeholderUserId: userPlaceholder, info });
            answerId = info.assistant_message_id;
            setStreaming({ answerId, reconnecting: false });
            if (stopWanted.current) stopReaching(answerId);
          }
          if (replay) restarting = true; // the events start again from the first
        },
        onDelta: (text: string) => {
          batcher.push(text);
        },
        onUsage: (usage: Parameters<NonNullable<Parameters<typeof readAnswer>[1]['onUsage']>>[0]) => {
          flush();
          dispatch({ type: 'usage', answerId, usage });
        },
        onSnapshot: (snapshot: Parameters<NonNullable<Parameters<typeof readAnswer>[1]['onSnapshot']>>[0]) => {
          flush();
          dispatch({ type: 'snapshot', snapshot });
        },
      };
      let end: AnswerEnd;
      try {
        end = await readAnswer(await open(), handlers);
        for (let attempt = 0; end.kind === 'cut' && !abort.signal.aborted; attempt++) {
          flush();
          setStreaming({ answerId, reconnecting: true });
          await sleep(RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)] ?? 8000, abort.signal);
          const lastEventId: string | null = end.lastEventId;
          try {
            replay = lastEventId === null;
            end = await readAnswer(
              await latest.current.api.follow(answerId, lastEventId, abort.signal),
              handlers,
              lastEventId,
            );
            setStreaming({ answerId, reconnecting: false });
          } catch (error) {
            // The network, or a server restarting (nginx answers 502/503 meanwhile): try again. Anything
            // else (the answer is not found, the session ended) is the end of it.
            const passing =
              error instanceof ChatApiError && (error.code === 'network_error' || (error.status ?? 0) >= 500);
            if (isAbort(error) || !passing) throw error;
          }
        }
        flush();
        if (end.kind === 'done') {
          const status = end.finishReason === 'cancelled' ? 'stopped' : 'done';
          dispatch({ type: 'ended', answerId, status, finishReason: end.finishReason });
        } else if (end.kind === 'error') {
          dispatch({ type: 'ended', answerId, status: 'error', error: end.error.toInfo() });
        }
      } catch (error) {
        flush();
        if (isAbort(error)) return; // another conversation was opened: the answer goes on without us
        const info =
          error instanceof ChatApiError
            ? error.toInfo()
            : { code: 'client_error', message: 'Something went wrong in the page. Retry.' };
        dispatch({ type: 'ended', answerId, status: 'error', error: info });
      } finally {
        if (follow.current === abort) {
          follow.current = null;
          stopWanted.current = false;
          setStreaming(null);
          // A Stop that could not reach the answer is old news once it has ended.
          setFailure((shown) => (shown?.error.code === 'stop_unavailable' ? null : shown));
        }
      }
      // What the server has, exactly: the saved answer, its siblings, the ids a placeholder had not learnt.
      // (A request refused before the answer started keeps its placeholders, so nothing typed disappears.)
      if (!started) return;
      try {
        const detail = await reload(conversation);
        if (detail) latest.current.onChanged(detail, conversation);
      } catch {
        // the answer is on screen; the next load shows the server's copy
      }
    },
    [reload, stopReaching],
  );

  // Open a conversation: its messages, and an answer still being written in it followed to its end.
  useEffect(() => {
    if (conversationId === null) return;
    if (latest.current.streaming && follow.current) return; // the first message's answer, already followed
    let cancelled = false;
    reload(conversationId).then(
      (detail) => {
        const last = detail?.messages.items.at(-1);
        if (!cancelled && last?.role === 'assistant' && last.status === 'streaming') {
          void run(conversationId, () => latest.current.api.follow(last.id, null), last.id, null, true);
        }
      },
      (error: unknown) => {
        if (!cancelled && error instanceof ChatApiError) setFailure({ conversationId, error });
      },
    );
    return () => {
      cancelled = true;
      follow.current?.abort();
    };
  }, [conversationId, reload, run]);

  useEffect(() => () => follow.current?.abort(), []);

  /** Sends `text` after `parentId` (an answer; null: first message; undefined: the end of the branch). */
  const ask = useCallback(
    async (text: string, parentId?: string | null): Promise<boolean> => {
      const { api: client, options: chosen, streaming: busy } = latest.current;
      if (busy || !text.trim()) return false;
      let id = latest.current.conversationId;
      if (id === null) {
        try {
          const created = await client.create();
          id = created.id;
          latest.current.conversationId = id;
          dispatch({ type: 'adopted', conversationId: id });
          latest.current.onChanged(created, id);
        } catch (error) {
          if (error instanceof ChatApiError) setFailure({ conversationId: null, error });
          return false;
        }
      }
      const messages = latest.current.state.messages;
      const parent = parentId === undefined ? (messages.at(-1)?.id ?? null) : parentId;
      const user = placeholder('user', `user-${newId()}`, parent, text);
      const answer = placeholder('assistant', `answer-${newId()}`, user.id);
      dispatch({ type: 'asked', parentId: parent, user, answer });
      const key = newId();
      const conversation = id;
      const open = async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await client.send(conversation, text, chosen, key, parentId);
          } catch (error) {
            // The request may not have arrived: the same key makes a second try safe (never a second answer).
            if (!(error instanceof ChatApiError && error.code === 'network_error') || attempt >= 2) throw error;
            await new Promise((resolve) => window.setTimeout(resolve, 500 * 2 ** attempt));
          }
        }
      };
      void run(conversation, open, answer.id, user.id, false);
      return true;
    },
    [run],
  );

  const send = useCallback((text: string) => ask(text), [ask]);

  /** A new version of a user message: a sibling, with its own answer; the old branch stays. */
  const edit = useCallback(
    (messageId: string, text: string) => {
      const message = latest.current.state.messages.find((m) => m.id === messageId);
      return message ? ask(text, message.parent_id) : Promise.resolve(false);
    },
    [ask],
  );

  /** Another answer to the same message: a sibling of `answerId`, which stays. */
  const retry = useCallback(
    (answerId: string) => {
      const { api: client, options: chosen, conversationId: id, state: current, streaming: busy } = latest.current;
      const old = current.messages.find((m) => m.id === answerId);
      if (busy || id === null || !old?.parent_id) return;
      const question = current.messages.find((m) => m.id === old.parent_id);
      if (question?.id.startsWith('user-')) {
        // Refused before the server wrote anything (a placeholder pair): send the same words again.
        void ask(question.content, question.parent_id);
        return;
      }
      const answer = placeholder('assistant', `answer-${newId()}`, old.parent_id);
      dispatch({ type: 'asked', parentId: old.parent_id, user: null, answer });
      void run(id, () => client.retry(id, answerId, chosen), answer.id, null, false);
    },
    [run, ask],
  );

  const stop = useCallback(() => {
    const { streaming: current } = latest.current;
    if (!current) return;
    if (current.answerId.startsWith('answer-')) {
      stopWanted.current = true; // the server has not named it yet: stop it as soon as it does
      return;
    }
    stopReaching(current.answerId);
  }, [stopReaching]);

  /** Show the branch through `messageId` (a sibling chosen with ‹ ›). */
  const showBranch = useCallback((messageId: string) => {
    const { api: client, conversationId: id, streaming: busy } = latest.current;
    if (busy || id === null) return;
    client.chooseBranch(id, messageId).then(
      (detail) => {
        dispatch(loadedFrom(id, detail));
      },
      (error: unknown) => {
        if (error instanceof ChatApiError) setFailure({ conversationId: id, error });
      },
    );
  }, []);

  const loadEarlier = useCallback(() => {
    const { api: client, conversationId: id, state: current } = latest.current;
    if (id === null || current.earlier === null) return;
    client.earlier(id, current.earlier).then(
      (page) => {
        dispatch({ type: 'earlier', messages: page.items, earlier: page.earlier });
      },
      (error: unknown) => {
        if (error instanceof ChatApiError) setFailure({ conversationId: id, error });
      },
    );
  }, []);

  // Another conversation's messages are not shown while this one loads; a new chat shows none.
  const shown = state.conversationId === conversationId;
  return {
    messages: shown ? state.messages : [],
    hasEarlier: shown && state.earlier !== null,
    summary: shown ? state.summary : null,
    loading: !shown && conversationId !== null,
    failure: failure?.conversationId === conversationId ? failure.error : null,
    streaming,
    send,
    edit,
    retry,
    stop,
    showBranch,
    loadEarlier,
  };
}
