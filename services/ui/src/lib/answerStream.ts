import { createParser } from 'eventsource-parser';

import type { FinishReason, Snapshot, StartInfo, Usage } from '../types/chat';
import type { CitationEvent } from '../types/files';
import type {
  ApprovalDecidedEvent,
  ApprovalRequiredEvent,
  ToolCallEvent,
  ToolEvent,
  ToolResultEvent,
} from '../types/tools';
import { ChatApiError, isAbort, isErrorInfo } from './errors';

export interface AnswerHandlers {
  onStart?: (info: StartInfo) => void;
  onDelta: (text: string) => void;
  onUsage?: (usage: Usage) => void;
  onSnapshot?: (snapshot: Snapshot) => void;
  /** `tool_call`, `approval_required`, `approval_decided`, `tool_result`, in the stream's order. */
  onTool?: (event: ToolEvent) => void;
  /** `citation`: the passage the answer's next `[number]` refers to. */
  onCitation?: (citation: CitationEvent) => void;
}

export type AnswerEnd =
  | { kind: 'done'; finishReason: FinishReason }
  | { kind: 'error'; error: ChatApiError }
  /** The connection ended before the answer did: follow it again from `lastEventId`. */
  | { kind: 'cut'; lastEventId: string | null };

/**
 * Reads an answer's server-sent events (`start`, `delta`, the tool events, `usage`, `snapshot`, then `done` or
 * `error`), remembering the last event id, so a reader cut off can ask for exactly what it missed. One decoder
 * per stream: characters split across chunks are joined, never mangled.
 */
export type Body = NonNullable<Response['body']>;

export async function readAnswer(
  body: Body,
  handlers: AnswerHandlers,
  lastEventId: string | null = null,
  signal?: AbortSignal,
): Promise<AnswerEnd> {
  const state: { lastEventId: string | null; end: AnswerEnd | null } = { lastEventId, end: null };
  const parser = createParser({
    onEvent(event) {
      if (event.id) state.lastEventId = event.id;
      const data: unknown = JSON.parse(event.data);
      switch (event.event) {
        case 'start':
          handlers.onStart?.(data as StartInfo);
          break;
        case 'delta':
          handlers.onDelta((data as { text: string }).text);
          break;
        case 'usage':
          handlers.onUsage?.(data as Usage);
          break;
        case 'tool_call':
          handlers.onTool?.({ name: event.event, data: data as ToolCallEvent });
          break;
        case 'approval_required':
          handlers.onTool?.({ name: event.event, data: data as ApprovalRequiredEvent });
          break;
        case 'approval_decided':
          handlers.onTool?.({ name: event.event, data: data as ApprovalDecidedEvent });
          break;
        case 'tool_result':
          handlers.onTool?.({ name: event.event, data: data as ToolResultEvent });
          break;
        case 'citation':
          handlers.onCitation?.(data as CitationEvent);
          break;
        case 'snapshot':
          // The whole answer as saved, in place of what is shown: a reader cut off after it starts over.
          state.lastEventId = null;
          handlers.onSnapshot?.(data as Snapshot);
          break;
        case 'done':
          state.end = { kind: 'done', finishReason: (data as { finish_reason: FinishReason }).finish_reason };
          break;
        case 'error':
          state.end = {
            kind: 'error',
            error: isErrorInfo(data)
              ? new ChatApiError(data.code, data.message)
              : new ChatApiError('stream_error', 'The answer failed part-way. Retry.'),
          };
          break;
        default:
          break; // events a newer server sends are for newer clients
      }
    },
  });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  // The device lost its network: this connection is as good as gone, though the browser may not say so for a
  // long while. Let it go now; the caller follows the answer again from the last event once back online.
  const letGo = () => void reader.cancel().catch(() => undefined);
  window.addEventListener('offline', letGo);
  // The reader was aborted (another conversation was opened): close the connection.
  signal?.addEventListener('abort', letGo);
  if (signal?.aborted) letGo();
  try {
    while (!state.end) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } catch (error) {
    if (isAbort(error)) throw error;
    // the connection broke: the answer may still be going on
  } finally {
    window.removeEventListener('offline', letGo);
    signal?.removeEventListener('abort', letGo);
    reader.releaseLock();
  }
  return state.end ?? { kind: 'cut', lastEventId: state.lastEventId };
}
