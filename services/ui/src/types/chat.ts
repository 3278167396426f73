/** The HTTP contract's shapes (see services/api/README.md) and the UI's own view of them. Where the api's
 * OpenAPI document describes a shape, the type is its generated one (src/api/schema.d.ts, `make api-types`). */

import type { components } from '../api/schema';
import type { AttachmentView } from './files';
import type { AnswerPart, MessagePart } from './tools';

type Schemas = components['schemas'];

export type Role = Schemas['MessageView']['role'];

export type ReasoningEffort = Schemas['ModelView']['reasoning_efforts'][number];

export interface ChatOptions {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning_effort?: ReasoningEffort;
}

/** What a send carries beside its text: the options, and the model picked (sent as the body's `model`). */
export interface AnswerChoice extends ChatOptions {
  model?: string;
}

export type OptionName = keyof ChatOptions;

/** `GET /api/models`: the model answers come from and the options it takes (a reasoning model: no temperature
 * or top p, a reasoning effort instead). */
export type ModelInfo = Schemas['ModelView'];

export type ModelsView = Schemas['ModelsView'];

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'cancelled';

export interface Usage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens?: number | null;
  reasoning_tokens?: number | null; // part of completion_tokens (a reasoning model's)
}

export type ErrorInfo = Schemas['MessageError'];

/** How a message stands: streaming, finished, stopped by the user, failed, or cut off by a server that died. */
export type MessageStatus = Schemas['MessageView']['status'];

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
  /** An answer that called tools, in order (text, call, result, text…); null: its text is `content` alone. */
  parts: AnswerPart[] | null;
  /** The user's vote on this answer (a saved one; absent on a message made on this page). */
  feedback?: Feedback | null;
  /** The files sent with a user message (null or absent: none). */
  attachments?: AttachmentView[] | null;
}

export type ConversationSummary = Schemas['ConversationView'];

/** The tools answers may call, and the MCP servers (by name) some of them come from. */
export type ToolList = Schemas['ToolList'];

export interface MessagePage {
  items: ChatMessage[];
  earlier: string | null;
}

/** What the model is told of the branch up to `covers_message_id`, once those turns no longer fit its window. */
export type MemorySummary = Schemas['SummaryView'];

export interface ConversationDetail extends ConversationSummary {
  messages: MessagePage;
  summary?: MemorySummary | null;
}

export type ConversationPage = Schemas['ConversationPage'];

export type User = Schemas['UserView'];

export type SessionInfo = Schemas['SessionView'];

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
  /** Its parts as saved (null: text only). */
  parts: MessagePart[] | null;
}

/** `GET /api/me/memories`: what the user asked the assistant to remember, newest first. */
export type UserMemoryList = Schemas['MemoryList'];

export type UserMemory = Schemas['MemoryView'];

/** `GET /api/me/usage`: the user's limits and where they stand (`limited: false`: none apply here). */
export type UsageView = Schemas['UsageView'];

/** The user's vote on an answer, as saved, and as sent (`PUT …/feedback`). */
export type Feedback = Schemas['FeedbackView'];

export type Rating = Feedback['rating'];

export interface VoteBody {
  rating: Rating;
  reason?: Feedback['reason'];
  comment?: string | null;
}

/** `GET /api/search`: hits over the user's titles and messages, best first; snippets as plain segments. */
export type SearchPage = Schemas['SearchPage'];

export type SearchHit = Schemas['SearchHit'];

/** The owner's share links (`/api/shares`); a new one carries its token once. */
export type ShareView = Schemas['ShareView'];

export type ShareCreated = Schemas['ShareCreated'];

export type SharePage = Schemas['SharePage'];

/** `GET /api/shared/{token}`: one branch as it was when shared, read by anyone with the link. */
export type SharedConversation = Schemas['SharedConversation'];
