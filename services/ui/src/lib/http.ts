import type { ChatRequest } from '../types/chat';
import { errorFromResponse, isAbort, networkError } from './errors';

/**
 * POSTs a chat request and returns the streaming body once the server has said yes. Rejects with the
 * server's envelope for an HTTP error, a network error when the request could not be made, and passes an
 * AbortError through untouched (the caller asked for it).
 */
export async function openStream(
  url: string,
  request: ChatRequest,
  accept: string,
  signal?: AbortSignal,
): Promise<NonNullable<Response['body']>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: accept },
      body: JSON.stringify(request),
      signal: signal ?? null,
    });
  } catch (error) {
    throw isAbort(error) ? error : networkError();
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (!response.body) throw networkError();
  return response.body;
}
