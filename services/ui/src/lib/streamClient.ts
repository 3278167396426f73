import type { ChatRequest } from '../types/chat';
import { errorFromResponse, interruptedError, isAbort, networkError } from './errors';

export const STREAM_URL = '/api/chat/stream';

/**
 * The seed's plain-text client for `POST /api/chat/stream`: calls `onToken` with each decoded piece.
 * One `TextDecoder` for the whole stream (`stream: true`), so a character split across chunks is joined,
 * never replaced by U+FFFD. A body cut short by the server rejects: a failed stream is not a finished one.
 */
export async function streamChat(request: ChatRequest, onToken: (text: string) => void, signal?: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(STREAM_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
      signal: signal ?? null,
    });
  } catch (error) {
    throw isAbort(error) ? error : networkError();
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (!response.body) throw networkError();

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text) onToken(text);
    }
    const rest = decoder.decode();
    if (rest) onToken(rest);
  } catch (error) {
    throw isAbort(error) ? error : interruptedError();
  } finally {
    reader.releaseLock();
  }
}
