import type { ChatOptions, ChatTurn, Conversation } from '../types/chat';

const CONVERSATIONS_KEY = 'chat.conversations.v1';
const OPTIONS_KEY = 'chat.options.v1';
const DRAFT_KEY = 'chat.draft.v1';

function read(key: string): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    return undefined; // corrupt or unavailable storage: start fresh rather than fail to load
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // full or disabled storage: the chat still works, it just won't survive a reload
  }
}

function isTurn(value: unknown): value is ChatTurn {
  const turn = value as Partial<ChatTurn> | null;
  return (
    typeof turn === 'object' &&
    turn !== null &&
    typeof turn.id === 'string' &&
    (turn.role === 'user' || turn.role === 'assistant') &&
    typeof turn.content === 'string' &&
    typeof turn.status === 'string'
  );
}

function isConversation(value: unknown): value is Conversation {
  const conversation = value as Partial<Conversation> | null;
  return (
    typeof conversation === 'object' &&
    conversation !== null &&
    typeof conversation.id === 'string' &&
    typeof conversation.title === 'string' &&
    Array.isArray(conversation.turns) &&
    conversation.turns.every(isTurn)
  );
}

/** Saved conversations; an answer that was streaming when the page went away is marked stopped. */
export function loadConversations(): Conversation[] {
  const stored = read(CONVERSATIONS_KEY);
  if (!Array.isArray(stored)) return [];
  return stored.filter(isConversation).map((conversation) => ({
    ...conversation,
    updatedAt: typeof conversation.updatedAt === 'number' ? conversation.updatedAt : 0,
    turns: conversation.turns.map((turn) => (turn.status === 'streaming' ? { ...turn, status: 'stopped' } : turn)),
  }));
}

export function saveConversations(conversations: Conversation[]): void {
  write(CONVERSATIONS_KEY, conversations);
}

export function loadOptions(): ChatOptions {
  const stored = read(OPTIONS_KEY);
  if (typeof stored !== 'object' || stored === null) return {};
  const options: ChatOptions = {};
  for (const key of ['max_tokens', 'temperature', 'top_p'] as const) {
    const value = (stored as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) options[key] = value;
  }
  return options;
}

export function saveOptions(options: ChatOptions): void {
  write(OPTIONS_KEY, options);
}

export function loadDraft(): string {
  const stored = read(DRAFT_KEY);
  return typeof stored === 'string' ? stored : '';
}

export function saveDraft(text: string): void {
  write(DRAFT_KEY, text);
}
