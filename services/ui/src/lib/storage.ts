/** What the browser keeps: a draft, the options, the language and theme chosen. Conversations live on the
 * server; those a browser kept before then are read once, to be offered for import. */
import type { ChatOptions } from '../types/chat';

const LEGACY_CONVERSATIONS_KEY = 'chat.conversations.v1';
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
    // full or disabled storage: the chat still works, it just won't keep this
  }
}

export interface LocalConversation {
  title: string;
  messages: { role: 'user' | 'assistant'; content: string; status: 'done' | 'stopped' | 'error' }[];
}

/** Round 1's conversations (`chat.conversations.v1`), in the shape the import route takes; `untitled` names
 * one that had no title. */
export function loadLocalConversations(untitled: string): LocalConversation[] {
  const stored = read(LEGACY_CONVERSATIONS_KEY);
  if (!Array.isArray(stored)) return [];
  const found: LocalConversation[] = [];
  for (const item of stored as unknown[]) {
    const conversation = item as { title?: unknown; turns?: unknown };
    if (typeof conversation.title !== 'string' || !Array.isArray(conversation.turns)) continue;
    const messages: LocalConversation['messages'] = [];
    for (const raw of conversation.turns as unknown[]) {
      const turn = raw as { role?: unknown; content?: unknown; status?: unknown };
      if ((turn.role !== 'user' && turn.role !== 'assistant') || typeof turn.content !== 'string') continue;
      const status = turn.status === 'error' ? 'error' : turn.status === 'done' ? 'done' : 'stopped';
      messages.push({ role: turn.role, content: turn.content.slice(0, 200_000), status });
    }
    if (messages.length) found.push({ title: conversation.title.slice(0, 200) || untitled, messages });
  }
  return found;
}

export function forgetLocalConversations(): void {
  try {
    localStorage.removeItem(LEGACY_CONVERSATIONS_KEY);
  } catch {
    // unavailable storage: nothing to forget
  }
}

/** Everything this browser kept (after the account is deleted: nothing of it stays). */
export function forgetEverything(): void {
  for (const key of [LEGACY_CONVERSATIONS_KEY, OPTIONS_KEY, DRAFT_KEY]) {
    try {
      localStorage.removeItem(key);
    } catch {
      // unavailable storage: nothing to forget
    }
  }
}

export function loadOptions(): ChatOptions {
  const stored = read(OPTIONS_KEY);
  if (typeof stored !== 'object' || stored === null) return {};
  const options: ChatOptions = {};
  for (const key of ['max_tokens', 'temperature', 'top_p'] as const) {
    const value = (stored as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value)) options[key] = value;
  }
  const effort = (stored as Record<string, unknown>).reasoning_effort;
  if (effort === 'low' || effort === 'medium' || effort === 'high') options.reasoning_effort = effort;
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

/** A preference kept as a plain string (the language, the theme): read before the app starts, the theme even
 * by `public/theme.js` before the first paint, so no JSON around it. */
export function loadPreference(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // unavailable storage: the default
  }
}

/** Keeps a preference, or forgets it (`null`: back to the default). */
export function savePreference(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // full or disabled storage: the choice holds for this visit only
  }
}
