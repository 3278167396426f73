import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';

import type { Api } from '../lib/api';
import { createChatTransport, type AnswerListener, type AnswerRun } from '../lib/chatTransport';
import { decideApproval } from '../lib/decideApproval';
import { ChatApiError } from '../lib/errors';
import { createFrameBatcher } from '../lib/frameBatcher';
import { newId } from '../lib/ids';
import { isFirstAnswer } from '../lib/titleFollowUp';
import type { AnswerChoice, ConversationSummary, Feedback, VoteBody } from '../types/chat';
import type { AttachmentView } from '../types/files';
import type { ApprovalDecision } from '../types/tools';
import { conversationReducer, initialConversation, loadedFrom, placeholder } from './conversationState';

export interface Streaming {
  answerId: string;
  /** The connection dropped: following the answer again from the last event. */
  reconnecting: boolean;
}

interface Options {
  api: Api;
  conversationId: string | null;
  options: AnswerChoice; // the options, and the model picked
  /** A conversation was made for the first message, or one changed (a title, a new answer). */
  onChanged: (conversation: ConversationSummary | null, id: string) => void;
  /** A conversation's first answer has ended: the server is having its title written. */
  onFirstAnswer?: (conversation: ConversationSummary) => void;
}

/**
 * One conversation: its branch of messages from the server, and its answer streaming in. An answer does not
 * belong to this page: closing the tab leaves it running on the server; a reload, a dropped connection or
 * another tab follows it again from the last event seen (`lib/chatTransport.ts` does the reading). Stop asks
 * the server to stop it.
 */
export function useConversation({ api, conversationId, options, onChanged, onFirstAnswer }: Options) {
  const [state, dispatch] = useReducer(conversationReducer, initialConversation);
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const [failure, setFailure] = useState<{ conversationId: string | null; error: ChatApiError } | null>(null);
  const transport = useMemo(() => createChatTransport(api), [api]);
  const active = useRef<AnswerRun | null>(null);

  // What the stable callbacks below read when they run.
  const latest = useRef({ api, transport, conversationId, options, onChanged, onFirstAnswer, state, streaming });
  useLayoutEffect(() => {
    latest.current = { api, transport, conversationId, options, onChanged, onFirstAnswer, state, streaming };
  });

  const reload = useCallback(async (id: string) => {
    const detail = await latest.current.api.conversation(id);
    if (latest.current.conversationId !== id && latest.current.conversationId !== null) return null;
    dispatch(loadedFrom(id, detail));
    return detail;
  }, []);

  /** Shows an answer as the transport reads it (`shownId`: its placeholder, or its id when resumed), painting
   * its text once per animation frame; then the server's copy of the conversation. */
  const run = useCallback(
    async (
      conversation: string,
      shownId: string,
      userPlaceholder: string | null,
      begin: (listener: AnswerListener) => AnswerRun,
    ) => {
      active.current?.abort();
      let answerId = shownId;
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
      const answer = begin({
        onStart: (info) => {
          flush();
          dispatch({ type: 'started', placeholderId: answerId, placeholderUserId: userPlaceholder, info });
          answerId = info.assistant_message_id;
          setStreaming({ answerId, reconnecting: false });
        },
        onRestart: () => {
          flush();
          restarting = true;
        },
        onDelta: (text) => {
          batcher.push(text);
        },
        onTool: (event) => {
          flush(); // the text before a call stays before it
          dispatch({ type: 'tool', answerId, event });
        },
        onCitation: (citation) => {
          flush(); // the text before it stays before it
          dispatch({ type: 'citation', answerId, citation });
        },
        onUsage: (usage) => {
          flush();
          dispatch({ type: 'usage', answerId, usage });
        },
        onSnapshot: (snapshot) => {
          flush();
          dispatch({ type: 'snapshot', snapshot });
        },
        onReconnecting: (reconnecting) => {
          flush();
          setStreaming({ answerId, reconnecting });
        },
        onStopUnreached: (error) => {
          // (An answer that has ended meanwhile needs no word about its Stop.)
          if (latest.current.streaming?.answerId === answerId) setFailure({ conversationId: conversation, error });
        },
      });
      active.current = answer;
      const outcome = await answer.outcome;
      if (outcome.kind === 'aborted') {
        batcher.cancel(); // another conversation was opened: the answer goes on without us
      } else {
        flush();
        if (outcome.kind === 'done') {
          const status = outcome.finishReason === 'cancelled' ? 'stopped' : 'done';
          dispatch({ type: 'ended', answerId, status, finishReason: outcome.finishReason });
        } else {
          dispatch({ type: 'ended', answerId, status: 'error', error: outcome.error });
        }
      }
      if (active.current === answer) {
        active.current = null;
        setStreaming(null);
        // A Stop that could not reach the answer is old news once it has ended.
        setFailure((shown) => (shown?.error.code === 'stop_unavailable' ? null : shown));
      }
      // What the server has, exactly: the saved answer, its siblings, the ids a placeholder had not learnt.
      // (A request refused before the answer started keeps its placeholders, so nothing typed disappears.)
      if (outcome.kind === 'aborted' || !outcome.started) return;
      try {
        const detail = await reload(conversation);
        if (detail) latest.current.onChanged(detail, conversation);
        if (detail && outcome.kind === 'done' && outcome.finishReason !== 'cancelled' && isFirstAnswer(detail)) {
          latest.current.onFirstAnswer?.(detail);
        }
      } catch {
        // the answer is on screen; the next load shows the server's copy
      }
    },
    [reload],
  );

  // Open a conversation: its messages, and an answer still being written in it followed to its end.
  useEffect(() => {
    if (conversationId === null) return;
    if (latest.current.streaming && active.current) return; // the first message's answer, already followed
    let cancelled = false;
    reload(conversationId).then(
      (detail) => {
        const last = detail?.messages.items.at(-1);
        if (!cancelled && last?.role === 'assistant' && last.status === 'streaming') {
          void run(conversationId, last.id, null, (listener) => latest.current.transport.resume(last.id, listener));
        }
      },
      (error: unknown) => {
        if (!cancelled && error instanceof ChatApiError) setFailure({ conversationId, error });
      },
    );
    return () => {
      cancelled = true;
      active.current?.abort();
    };
  }, [conversationId, reload, run]);

  useEffect(() => () => active.current?.abort(), []);

  /** The open conversation's id; a new chat's conversation is made first (once, however many ask at once:
   * the first message, or the files attached to it). Null: it could not be made (the failure is shown). */
  const creating = useRef<Promise<string | null> | null>(null);
  const ensureConversation = useCallback(async (): Promise<string | null> => {
    const known = latest.current.conversationId;
    if (known !== null) return known;
    creating.current ??= (async () => {
      try {
        const created = await latest.current.api.create();
        const id = created.id;
        latest.current.conversationId = id;
        dispatch({ type: 'adopted', conversationId: id });
        latest.current.onChanged(created, id);
        return id;
      } catch (error) {
        if (error instanceof ChatApiError) setFailure({ conversationId: null, error });
        return null;
      } finally {
        creating.current = null;
      }
    })();
    return creating.current;
  }, []);

  /** Sends `text` after `parentId` (an answer; null: first message; undefined: the end of the branch), with
   * the conversation's files `attachments`. */
  const ask = useCallback(
    async (text: string, parentId?: string | null, attachments: readonly AttachmentView[] = []): Promise<boolean> => {
      const { transport: reader, options: chosen, streaming: busy } = latest.current;
      if (busy || !text.trim()) return false;
      const id = await ensureConversation();
      if (id === null) return false;
      const messages = latest.current.state.messages;
      const parent = parentId === undefined ? (messages.at(-1)?.id ?? null) : parentId;
      const user = placeholder('user', newId(), parent, text);
      if (attachments.length) user.attachments = [...attachments];
      const answer = placeholder('assistant', newId(), user.id);
      dispatch({ type: 'asked', parentId: parent, user, answer });
      const conversation = id;
      const ids = attachments.map((attachment) => attachment.id);
      void run(conversation, answer.id, user.id, (listener) =>
        reader.send(conversation, text, chosen, parentId, listener, ids),
      );
      return true;
    },
    [run, ensureConversation],
  );

  const send = useCallback(
    (text: string, attachments?: readonly AttachmentView[]) => ask(text, undefined, attachments),
    [ask],
  );

  /** A new version of a user message (with the files it had): a sibling, with its own answer; the old branch
   * stays. */
  const edit = useCallback(
    (messageId: string, text: string) => {
      const message = latest.current.state.messages.find((m) => m.id === messageId);
      return message ? ask(text, message.parent_id, message.attachments ?? []) : Promise.resolve(false);
    },
    [ask],
  );

  /** Another answer to the same message: a sibling of `answerId`, which stays. */
  const retry = useCallback(
    (answerId: string) => {
      const {
        transport: reader,
        options: chosen,
        conversationId: id,
        state: current,
        streaming: busy,
      } = latest.current;
      const old = current.messages.find((m) => m.id === answerId);
      if (busy || id === null || !old?.parent_id) return;
      const question = current.messages.find((m) => m.id === old.parent_id);
      if (question?.status === 'pending') {
        // Refused before the server wrote anything (a placeholder pair): send the same words (and files) again.
        void ask(question.content, question.parent_id, question.attachments ?? []);
        return;
      }
      const answer = placeholder('assistant', newId(), old.parent_id);
      dispatch({ type: 'asked', parentId: old.parent_id, user: null, answer });
      void run(id, answer.id, null, (listener) => reader.retry(id, answerId, chosen, listener));
    },
    [run, ask],
  );

  const stop = useCallback(() => {
    active.current?.stop();
  }, []);

  /** The user's decision on a tool call waiting for it. The prompt goes once nothing is left to decide (the
   * server's `approval_decided` says so too, in every tab); a failure is shown, and the prompt stays. */
  const decide = useCallback(async (answerId: string, callId: string, decision: ApprovalDecision) => {
    const { api: client, conversationId: id } = latest.current;
    try {
      await decideApproval(client, answerId, callId, decision);
    } catch (error) {
      const shown =
        error instanceof ChatApiError
          ? error
          : new ChatApiError('client_error', 'Something went wrong in the page. Retry.');
      setFailure({ conversationId: id, error: shown });
      return;
    }
    setFailure((shown) => (shown?.error.code === 'approval_unavailable' ? null : shown));
    dispatch({ type: 'tool', answerId, event: { name: 'approval_decided', data: { call_id: callId, decision } } });
  }, []);

  /** A failure of something done to this conversation elsewhere on the page (its tools switch). */
  const showFailure = useCallback((error: ChatApiError) => {
    setFailure({ conversationId: latest.current.conversationId, error });
  }, []);

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

  /** The user's vote on an answer of this conversation (null: withdrawn); what the server saved. */
  const vote = useCallback(async (answerId: string, body: VoteBody | null): Promise<Feedback | null> => {
    const { api: client, conversationId: id } = latest.current;
    if (id === null) return null;
    if (body === null) {
      await client.withdrawVote(id, answerId);
      return null;
    }
    return client.vote(id, answerId, body);
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
    ensureConversation,
    edit,
    retry,
    stop,
    decide,
    showFailure,
    showBranch,
    loadEarlier,
    vote,
  };
}
