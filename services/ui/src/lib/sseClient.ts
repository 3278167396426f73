import { createParser } from 'eventsource-parser';

import type { ChatRequest, FinishReason, Usage } from '../types/chat';
import { ChatApiError, interruptedError, isAbort, isErrorInfo } from './errors';
import { openStream } from './http';

export interface StreamHandlers {
  onStart?: (info: { request_id: string; model: string }) => void;
  onDelta: (text: string) => void;
  onUsage?: (usage: Usage) => void;
  onDone?: (reason: FinishReason) => void;
}

export const EVENTS_URL = '/api/chat/events';

/**
 * Streams an answer from `POST /api/chat/events`. Resolves when the stream is done; rejects with a
 * `ChatApiError` for an HTTP error, an `error` event, a network failure or a stream that ends without
 * `done`; rejects with the AbortError itself when `signal` aborts (the caller asked for it).
 */
export async function streamChatEvents(
  request: ChatRequest,
  handlers: StreamHandlers,
  signal?: AbortSignal,
): Promise<void> {
  const body = await openStream(EVENTS_URL, request, 'text/event-stream', signal);

  // Written by the parser's callback: an object, so the checks below are not narrowed away.
  const outcome: { finished: boolean; failure?: ChatApiError } = { finished: false };
  const parser = createParser({
    onEvent(event) {
      const data: unknown = JSON.parse(event.data);
      switch (event.event) {
        case 'start':
          handlers.onStart?.(data as { request_id: string; model: string });
          break;
        case 'delta':
          handlers.onDelta((data as { text: string }).text);
          break;
        case 'usage':
          handlers.onUsage?.(data as Usage);
          break;
        case 'done':
          outcome.finished = true;
          handlers.onDone?.((data as { finish_reason: FinishReason }).finish_reason);
          break;
        case 'error':
          outcome.failure = isErrorInfo(data)
            ? new ChatApiError(data.code, data.message)
            : new ChatApiError('stream_error', 'The answer failed part-way. Retry.');
          break;
        default:
          break; // unknown events are for newer clients
      }
    },
  });

  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
      if (outcome.failure) throw outcome.failure;
    }
  } catch (error) {
    if (error instanceof ChatApiError || isAbort(error)) throw error;
    throw interruptedError();
  } finally {
    reader.releaseLock();
  }
  if (!outcome.finished)
    throw new ChatApiError('stream_incomplete', 'The answer was cut off before it finished. Retry.');
}
