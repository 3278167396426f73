import type { Api } from './api';
import { ChatApiError } from './errors';

/** The api's `Retry-After` for a Stop that reached no one (`stop_unavailable`): one second. */
export const STOP_RETRY_MS = 1000;

const wait = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

export function stopUnreached(): ChatApiError {
  return new ChatApiError(
    'stop_unavailable',
    'Stop could not reach the answer, which may go on: the server writing it is out of reach. Press Stop again in a moment.',
    503,
  );
}

/**
 * Asks the server to stop an answer. A 503 (no server writing it could be reached: Redis restarting, its
 * replica just died) or a lost connection is tried again once, a second later; a 409 or 404 (it has ended,
 * or is gone) is nothing to stop. Resolves with the failure to show, or null once the server has the Stop.
 */
export async function stopAnswer(
  api: Pick<Api, 'stop'>,
  answerId: string,
  pause: (ms: number) => Promise<void> = wait,
): Promise<ChatApiError | null> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await api.stop(answerId);
      return null;
    } catch (error) {
      if (!(error instanceof ChatApiError)) return stopUnreached();
      if (error.status === 409 || error.status === 404) return null;
      const transient = error.status === 503 || error.code === 'network_error';
      if (!transient) return error;
      if (attempt >= 2) return stopUnreached();
      await pause(STOP_RETRY_MS);
    }
  }
}
