import type { ErrorInfo } from '../types/chat';

/** A failure the user can read: the server's own `error.message` when it sent one. */
export class ChatApiError extends Error implements ErrorInfo {
  readonly code: string;
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'ChatApiError';
    this.code = code;
    this.status = status;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isErrorInfo(value: unknown): value is ErrorInfo {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}

/** The contract's `{"error": {"code", "message"}}`, or a plain description of a status without one. */
export async function errorFromResponse(response: Response): Promise<ChatApiError> {
  try {
    const body: unknown = await response.json();
    const error = (body as { error?: unknown } | null)?.error;
    if (isErrorInfo(error)) return new ChatApiError(error.code, error.message, response.status);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ChatApiError(
    'http_error',
    `The server answered ${response.status} ${response.statusText}.`.trim(),
    response.status,
  );
}

export function networkError(): ChatApiError {
  return new ChatApiError('network_error', 'The connection to the server failed. Check your network and retry.');
}

/** The response had begun, then the connection was lost: the server went away mid-answer. */
export function interruptedError(): ChatApiError {
  return new ChatApiError(
    'stream_interrupted',
    'The answer was interrupted: the connection to the server was lost. Retry.',
  );
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
