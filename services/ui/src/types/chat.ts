/** The HTTP contract's shapes (see services/api/README.md) and the UI's own view of them. */

export type Role = 'user' | 'assistant';

export type ReasoningEffort = 'low' | 'medium' | 'high';

export interface ChatOptions {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: ReasoningEffort;
}

export type OptionName = keyof ChatOptions;

/** `GET /api/models`: the model answers come from and the options it takes (a reasoning model: no temperature
 * or top p, a reasoning effort instead). */
export interface ModelInfo {
  id: string;
  provider: 'azure' | 'openai';
  reasoning: boolean;
  options: OptionName[];
  reasoning_efforts: ReasoningEffort[];
  default_reasoning_effort: ReasoningEffort | null;
  context_window: number;
  max_output_tokens: number;
  default_max_tokens: number;
}

export interface ModelsView {
  models: ModelInfo[];
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'cancelled';

export interface Usage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens?: number | null;
  reasoning_tokens?: number | null; // part of completion_tokens (a reasoning model's)
}

export interface ErrorInfo {
  code: string;
  message: string;
}

/** How a message stands: streaming, finished, stopped by the user, failed, or cut off by a server that died. */
export type MessageStatus = 'streaming' | 'done' | 'stopped' | 'error' | 'interrupted';

/** How the page sees a message: the server's status, or `pending`: sent from this page, and the server has not
 * named it yet (its `start` event gives it its id; a request refused before that leaves the user's message
 * pending, never saved). */
export type ShownStatus = MessageStatus | 'pending';

/** An answer not finished yet: waiting for the server, or being written. */
export function isUnderway(status: ShownStatus): boolean {
  return status === 'pending' || status === 'streaming';
}

export interface ChatMessage {
  id: string;
  parent_id: string | null;
  role: Role;
  content: string;
  status: ShownStatus;
  finish_reason: FinishReason | null;
  error: ErrorInfo | null;
  model: string | null;
  usage: Usage | null;
  created_at: string;
  updated_at: string;
  /** This message and its siblings (retries of an answer, edits of a message), oldest first. */
  sibling_ids: string[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface MessagePage {
  items: ChatMessage[];
  earlier: string | null;
}

/** What the model is told of the branch up to `covers_message_id`, once those turns no longer fit its window. */
export interface MemorySummary {
  covers_message_id: string;
  covered_messages: number;
  content: string;
  created_at: string;
}

export interface ConversationDetail extends ConversationSummary {
  messages: MessagePage;
  summary?: MemorySummary | null;
}

export interface ConversationPage {
  items: ConversationSummary[];
  next_cursor: string | null;
}

export interface User {
  id: string;
  email: string | null;
  guest: boolean;
}

export interface SessionInfo {
  access_token: string;
  expires_in: number;
  user: User;
}

/** What a streamed answer's `start` event says. */
export interface StartInfo {
  request_id: string;
  model: string;
  conversation_id: string;
  user_message_id: string;
  assistant_message_id: string;
}

/** An answer as the database has it, sent when its events can no longer be replayed. */
export interface Snapshot {
  assistant_message_id: string;
  content: string;
  status: MessageStatus;
  finish_reason: FinishReason | null;
  usage: Usage | null;
  error: ErrorInfo | null;
}

/** `GET /api/me/usage`: the user's limits and where they stand (`limited: false`: none apply here). */
export interface UsageView {
  limited: boolean;
  requests_per_minute?: { limit: number; used: number; resets_in_s: number } | null;
  concurrent_streams?: { limit: number; active: number } | null;
  tokens_per_day?: { limit: number; used: number; remaining: number; resets_in_s: number } | null;
}
