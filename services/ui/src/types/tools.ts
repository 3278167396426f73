/** Tools (issue #30): the stream's tool events and a saved answer's parts.
 *
 * The parts are the api's generated schemas. The events' payloads are described inline in the OpenAPI
 * document (each SSE event's `contentSchema`), which openapi-typescript does not name: written here, field for
 * field as the api's `chat/events.py` has them. */

import type { components } from '../api/schema';
import type { CitationPart } from './files';

type Schemas = components['schemas'];

/** How a tool call ended. */
export type ToolStatus = 'ok' | 'error' | 'denied' | 'cancelled' | 'timeout';

/** What the user may answer an `approval_required` with (`POST /api/generations/{id}/approvals`). */
export type ApprovalDecision = 'allow_once' | 'allow_conversation' | 'deny';

// ---- The answer's stream (server-sent events, each with an id, replayed on resume like `delta`) ----

/** `tool_call`: while `complete` is false, `arguments` is the next fragment of the arguments' JSON text, to
 * append; the one event with `complete: true` carries the whole text, to replace them. Calls of one round may
 * interleave: everything is keyed by `call_id`. */
export interface ToolCallEvent {
  call_id: string;
  /** Qualified: `builtin-current_time`. */
  tool: string;
  arguments: string;
  complete: boolean;
}

/** `approval_required`: the answer waits for the user's decision until `expires_at` (ISO-8601, UTC). */
export interface ApprovalRequiredEvent {
  call_id: string;
  tool: string;
  arguments: string;
  expires_at: string;
}

/** `approval_decided`: the prompt for this call is gone (decided in any tab, or timed out). */
export interface ApprovalDecidedEvent {
  call_id: string;
  decision: ApprovalDecision | 'timeout';
}

/** `tool_result`; `preview` is at most 2000 characters, a plain message for an error. */
export interface ToolResultEvent {
  call_id: string;
  tool: string;
  status: ToolStatus;
  preview: string;
  duration_ms: number;
}

/** One tool event, as the stream reader hands it on (named by its SSE event name). */
export type ToolEvent =
  | { name: 'tool_call'; data: ToolCallEvent }
  | { name: 'approval_required'; data: ApprovalRequiredEvent }
  | { name: 'approval_decided'; data: ApprovalDecidedEvent }
  | { name: 'tool_result'; data: ToolResultEvent };

// ---- A saved answer's parts (`MessageView.parts`, `snapshot.parts`: null for a text-only answer) ----

export type TextPart = Schemas['TextPart'];
export type ToolCallPart = Schemas['ToolCallPart'];
export type ToolResultPart = Schemas['ToolResultPart'];
export type MessagePart = TextPart | ToolCallPart | ToolResultPart | CitationPart;

// ---- The page's own view (never on the wire) ----

/** A call as the page shows it: a saved call is complete and waits for no one; a live one may still be
 * receiving its arguments (`complete: false`) or waiting for the user's approval. */
export interface ShownToolCall extends ToolCallPart {
  complete?: boolean;
  approval?: { expires_at: string } | null;
}

export type AnswerPart = TextPart | ShownToolCall | ToolResultPart | CitationPart;
