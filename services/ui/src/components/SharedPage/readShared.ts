import { errorFromResponse, isAbort, networkError } from '../../lib/errors';
import type { SharedConversation } from '../../types/chat';

/** A shared conversation, read as anyone reads it: a plain request, no token and no cookie sent (a shared page
 * is never read with the viewer's session). Null: no such link, or revoked. */
export async function readShared(token: string, signal?: AbortSignal): Promise<SharedConversation | null> {
  let response: Response;
  try {
    response = await fetch(`/api/shared/${encodeURIComponent(token)}`, {
      credentials: 'omit',
      headers: { Accept: 'application/json' },
      signal: signal ?? null,
    });
  } catch (error) {
    throw isAbort(error) ? error : networkError();
  }
  if (response.status === 404) return null;
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as SharedConversation;
}
