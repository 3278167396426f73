import type { ChatRequest } from '../types/chat';
import { interruptedError, isAbort } from './errors';
import { openStream } from './http';

export const STREAM_URL = '/api/chat/stream';

/**
 * The seed's plain-text client for `POST /api/chat/stream`: calls `onToken` with each decoded piece.
 * One `TextDecoder` for the whole stream (`stream: true`), so a character split across chunks is joined,
 * never replaced by U+FFFD. A body cut short by the server rejects: a failed stream is not a finished one.
 */
export async function streamChat(
  request: ChatRequest,
  onToken: (text: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const reader = (await openStream(STREAM_URL, request, 'text/plain', signal)).getReader();
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
