/** One conversation's branch of messages and what can happen to it: a pure reducer, so every transition is
 * testable. Messages the server returns replace ours, keeping the objects that did not change (so the
 * memoised messages on screen do not render again). */
import { withCitation, withText, withToolEvent } from '../lib/answerParts';
import type {
  ChatMessage,
  ConversationDetail,
  ErrorInfo,
  FinishReason,
  MemorySummary,
  Snapshot,
  StartInfo,
  Usage,
} from '../types/chat';
import type { CitationEvent } from '../types/files';
import type { ToolEvent } from '../types/tools';

export interface ConversationState {
  /** Whose messages these are: another conversation's are not shown while the next one loads. */
  conversationId: string | null;
  messages: ChatMessage[];
  earlier: string | null;
  /** Where the model's memory of this branch is a summary (older turns no longer fit its window). */
  summary: MemorySummary | null;
}

export type ConversationAction =
  | {
      type: 'loaded';
      conversationId: string;
      messages: ChatMessage[];
      earlier: string | null;
      summary: MemorySummary | null;
    }
  /** The first message made a conversation: what is on screen is now its. */
  | { type: 'adopted'; conversationId: string }
  | { type: 'earlier'; messages: ChatMessage[]; earlier: string | null }
  /** A new user message (or, for a retry, none) and the answer's placeholder, after `parentId`'s branch. */
  | { type: 'asked'; parentId: string | null; user: ChatMessage | null; answer: ChatMessage }
  | { type: 'started'; placeholderId: string; info: StartInfo; placeholderUserId: string | null }
  | { type: 'append'; answerId: string; text: string }
  /** A tool call's arguments (a fragment, or whole), its approval asked for or decided, its result. */
  | { type: 'tool'; answerId: string; event: ToolEvent }
  /** The passage a `[number]` of the answer refers to. */
  | { type: 'citation'; answerId: string; citation: CitationEvent }
  /** The answer again from its first event: `text`, the replay's first batch, replaces what was shown at once. */
  | { type: 'restart'; answerId: string; text: string }
  | { type: 'usage'; answerId: string; usage: Usage }
  | { type: 'snapshot'; snapshot: Snapshot }
  | {
      type: 'ended';
      answerId: string;
      status: 'done' | 'stopped' | 'error';
      finishReason?: FinishReason;
      error?: ErrorInfo;
    };

/** The conversation as the server returned it (its branch's last messages and its summary). */
export function loadedFrom(conversationId: string, detail: ConversationDetail): ConversationAction {
  return {
    type: 'loaded',
    conversationId,
    messages: detail.messages.items,
    earlier: detail.messages.earlier,
    summary: detail.summary ?? null,
  };
}

export const initialConversation: ConversationState = {
  conversationId: null,
  messages: [],
  earlier: null,
  summary: null,
};

function same(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a.id === b.id &&
    a.content === b.content &&
    a.status === b.status &&
    a.updated_at === b.updated_at &&
    a.feedback?.updated_at === b.feedback?.updated_at &&
    (a.parts?.length ?? -1) === (b.parts?.length ?? -1) &&
    a.sibling_ids.join() === b.sibling_ids.join()
  );
}

export function merge(current: ChatMessage[], fresh: ChatMessage[]): ChatMessage[] {
  const byId = new Map(current.map((message) => [message.id, message]));
  return fresh.map((message) => {
    const old = byId.get(message.id);
    return old && same(old, message) ? old : message;
  });
}

function update(state: ConversationState, id: string, change: (message: ChatMessage) => ChatMessage) {
  return { ...state, messages: state.messages.map((message) => (message.id === id ? change(message) : message)) };
}

export function conversationReducer(state: ConversationState, action: ConversationAction): ConversationState {
  switch (action.type) {
    case 'loaded':
      return {
        conversationId: action.conversationId,
        messages: merge(state.conversationId === action.conversationId ? state.messages : [], action.messages),
        earlier: action.earlier,
        summary: action.summary,
      };
    case 'adopted':
      return { ...state, conversationId: action.conversationId };
    case 'earlier':
      return { ...state, messages: [...action.messages, ...state.messages], earlier: action.earlier };
    case 'asked': {
      const cut = action.parentId === null ? 0 : state.messages.findIndex((m) => m.id === action.parentId) + 1;
      const kept = state.messages.slice(0, Math.max(0, cut));
      return { ...state, messages: [...kept, ...(action.user ? [action.user] : []), action.answer] };
    }
    case 'started': {
      // The server's ids in place of the placeholders', wherever they appear.
      const { placeholderId, placeholderUserId, info } = action;
      const named = (id: string) =>
        id === placeholderId ? info.assistant_message_id : id === placeholderUserId ? info.user_message_id : id;
      return {
        ...state,
        messages: state.messages.map((message) => {
          if (message.id !== placeholderId && message.id !== placeholderUserId) return message;
          return {
            ...message,
            id: named(message.id),
            parent_id: message.parent_id === null ? null : named(message.parent_id),
            sibling_ids: message.sibling_ids.map(named),
            status: message.id === placeholderId ? 'streaming' : 'done',
            model: message.id === placeholderId ? info.model : message.model,
          };
        }),
      };
    }
    case 'append':
      return update(state, action.answerId, (message) => ({
        ...message,
        content: message.content + action.text,
        parts: withText(message.parts, action.text),
      }));
    case 'tool':
      return update(state, action.answerId, (message) => ({
        ...message,
        parts: withToolEvent(message.parts, message.content, action.event),
      }));
    case 'citation':
      return update(state, action.answerId, (message) => ({
        ...message,
        parts: withCitation(message.parts, message.content, action.citation),
      }));
    case 'restart':
      // The replay brings the tool events again, after this text.
      return update(state, action.answerId, (message) => ({
        ...message,
        content: action.text,
        parts: null,
        status: 'streaming',
      }));
    case 'usage':
      return update(state, action.answerId, (message) => ({ ...message, usage: action.usage }));
    case 'snapshot': {
      const { snapshot } = action;
      return update(state, snapshot.assistant_message_id, (message) => ({
        ...message,
        content: snapshot.content,
        status: snapshot.status,
        finish_reason: snapshot.finish_reason,
        usage: snapshot.usage,
        error: snapshot.error,
        parts: snapshot.parts ?? null, // (an api before tools sends none)
      }));
    }
    case 'ended':
      return update(state, action.answerId, (message) => ({
        ...message,
        status: action.status,
        finish_reason: action.finishReason ?? message.finish_reason,
        error: action.error ?? null,
      }));
  }
}

/** A message that exists only on this page (`pending`) until the server's `start` event names it. */
export function placeholder(
  role: 'user' | 'assistant',
  id: string,
  parentId: string | null,
  content = '',
): ChatMessage {
  const now = new Date().toISOString();
  return {
    id,
    parent_id: parentId,
    role,
    content,
    status: 'pending',
    finish_reason: null,
    error: null,
    model: null,
    usage: null,
    created_at: now,
    updated_at: now,
    sibling_ids: [id],
    parts: null,
  };
}
