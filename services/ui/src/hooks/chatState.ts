/** The conversations and what can happen to them: a pure reducer, so every transition is testable. */
import type { ChatTurn, Conversation, ErrorInfo, FinishReason, Message, Usage } from '../types/chat';

export interface ChatState {
  conversations: Conversation[];
  activeId: string | null;
}

export type ChatAction =
  | { type: 'new'; conversation: Conversation }
  | { type: 'select'; id: string }
  | { type: 'delete'; id: string }
  | { type: 'send'; conversationId: string; user: ChatTurn; assistant: ChatTurn; now: number }
  | { type: 'retry'; conversationId: string; failedId: string; assistant: ChatTurn; now: number }
  | { type: 'append'; conversationId: string; turnId: string; text: string }
  | { type: 'usage'; conversationId: string; turnId: string; usage: Usage }
  | {
      type: 'finish';
      conversationId: string;
      turnId: string;
      status: 'done' | 'stopped' | 'error';
      finishReason?: FinishReason;
      error?: ErrorInfo;
    };

const TITLE_LENGTH = 48;
/** The most messages sent as history: the api refuses more than its limit, and old turns matter least. */
export const HISTORY_LIMIT = 40;

function titleFrom(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line || 'New chat';
}

function updateTurn(
  state: ChatState,
  conversationId: string,
  turnId: string,
  change: (turn: ChatTurn) => ChatTurn,
): ChatState {
  return {
    ...state,
    conversations: state.conversations.map((conversation) =>
      conversation.id !== conversationId
        ? conversation
        : { ...conversation, turns: conversation.turns.map((turn) => (turn.id === turnId ? change(turn) : turn)) },
    ),
  };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'new':
      return { conversations: [action.conversation, ...state.conversations], activeId: action.conversation.id };
    case 'select':
      return { ...state, activeId: action.id };
    case 'delete': {
      const conversations = state.conversations.filter((c) => c.id !== action.id);
      const activeId = state.activeId === action.id ? (conversations[0]?.id ?? null) : state.activeId;
      return { conversations, activeId };
    }
    case 'send':
      return {
        ...state,
        conversations: state.conversations.map((c) =>
          c.id !== action.conversationId
            ? c
            : {
                ...c,
                title: c.turns.length === 0 ? titleFrom(action.user.content) : c.title,
                turns: [...c.turns, action.user, action.assistant],
                updatedAt: action.now,
              },
        ),
      };
    case 'retry':
      return {
        ...state,
        conversations: state.conversations.map((c) => {
          if (c.id !== action.conversationId) return c;
          const index = c.turns.findIndex((turn) => turn.id === action.failedId);
          return index < 0 ? c : { ...c, turns: [...c.turns.slice(0, index), action.assistant], updatedAt: action.now };
        }),
      };
    case 'append':
      return updateTurn(state, action.conversationId, action.turnId, (turn) => ({
        ...turn,
        content: turn.content + action.text,
      }));
    case 'usage':
      return updateTurn(state, action.conversationId, action.turnId, (turn) => ({ ...turn, usage: action.usage }));
    case 'finish':
      return updateTurn(state, action.conversationId, action.turnId, (turn) => {
        const finished: ChatTurn = { ...turn, status: action.status };
        if (action.finishReason) finished.finishReason = action.finishReason;
        if (action.error) finished.error = action.error;
        return finished;
      });
  }
}

/** The messages before `turns[end]` that the model should see: finished text, newest last, bounded. */
export function historyBefore(turns: ChatTurn[], end: number): Message[] {
  return turns
    .slice(0, end)
    .filter((turn) => turn.content.trim() !== '')
    .map((turn) => ({ role: turn.role, content: turn.content }))
    .slice(-HISTORY_LIMIT);
}
