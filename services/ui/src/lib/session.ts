import type { SessionInfo, User } from '../types/chat';
import { ChatApiError, errorFromResponse, isAbort, networkError } from './errors';

/** Who the tab talks to the api as. Its access token lives in memory only; the refresh token is an
 * httpOnly cookie the browser sends to /api/auth alone. */
export interface Session {
  user: User | null;
  /** `fetch` with the access token; a 401 refreshes the session once and tries again. */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** A `POST` of `form` with the access token, telling its progress (the share of the bytes sent, 0 to 1) as
   * `fetch` cannot; a 401 refreshes the session once and sends it again. */
  upload: (path: string, form: FormData, onProgress: (sent: number) => void, signal?: AbortSignal) => Promise<Response>;
  /** The session the cookie holds, or else a new guest one: a first visit chats at once. */
  start: () => Promise<User>;
  apply: (info: SessionInfo) => User;
  forget: () => void;
  onChange: (listener: (user: User | null) => void) => () => void;
}

async function post(path: string): Promise<Response> {
  try {
    return await fetch(path, { method: 'POST', credentials: 'same-origin' });
  } catch (error) {
    throw isAbort(error) ? error : networkError();
  }
}

export function createSession(): Session {
  let token: string | null = null;
  let user: User | null = null;
  let refreshing: Promise<boolean> | null = null;
  const listeners = new Set<(user: User | null) => void>();

  const apply = (info: SessionInfo): User => {
    token = info.access_token;
    user = info.user;
    listeners.forEach((listener) => {
      listener(user);
    });
    return info.user;
  };

  const forget = () => {
    token = null;
    user = null;
    listeners.forEach((listener) => {
      listener(null);
    });
  };

  /** One refresh at a time: concurrent 401s wait for the same one. Another tab refreshing at the same
   * moment makes ours lose the race (401 "a moment ago"): the cookie it set is then ours too, so retry. */
  const refresh = (): Promise<boolean> => {
    refreshing ??= (async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await post('/api/auth/refresh');
        if (response.ok) {
          apply((await response.json()) as SessionInfo);
          return true;
        }
        if (response.status !== 401) throw await errorFromResponse(response);
        const error = await errorFromResponse(response);
        if (!error.message.includes('a moment ago')) return false;
      }
      return false;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const authorized = (init: RequestInit): RequestInit => {
    const headers = new Headers(init.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return { ...init, headers, credentials: 'same-origin' };
  };

  const sendForm = (path: string, form: FormData, onProgress: (sent: number) => void, signal?: AbortSignal) =>
    new Promise<Response>((resolve, reject) => {
      const request = new XMLHttpRequest();
      const abort = () => {
        request.abort();
      };
      request.open('POST', path);
      if (token) request.setRequestHeader('Authorization', `Bearer ${token}`);
      request.upload.onprogress = (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      };
      request.onload = () => {
        signal?.removeEventListener('abort', abort);
        const status = request.status;
        const body = status === 204 || status === 205 || status === 304 ? null : request.responseText;
        const type = request.getResponseHeader('Content-Type');
        resolve(
          new Response(body, { status, statusText: request.statusText, headers: type ? { 'Content-Type': type } : {} }),
        );
      };
      request.onerror = () => {
        signal?.removeEventListener('abort', abort);
        reject(networkError());
      };
      request.onabort = () => {
        reject(new DOMException('aborted', 'AbortError'));
      };
      signal?.addEventListener('abort', abort);
      if (signal?.aborted) {
        reject(new DOMException('aborted', 'AbortError'));
        return;
      }
      request.send(form);
    });

  const session: Session = {
    get user() {
      return user;
    },
    async fetch(path, init = {}) {
      let response: Response;
      try {
        response = await fetch(path, authorized(init));
        if (response.status !== 401 || path.startsWith('/api/auth/')) return response;
        if (!(await refresh())) {
          forget();
          return response;
        }
        return await fetch(path, authorized(init));
      } catch (error) {
        if (error instanceof ChatApiError || isAbort(error)) throw error;
        throw networkError();
      }
    },
    async upload(path, form, onProgress, signal) {
      const response = await sendForm(path, form, onProgress, signal);
      if (response.status !== 401) return response;
      if (!(await refresh())) {
        forget();
        return response;
      }
      return sendForm(path, form, onProgress, signal);
    },
    async start() {
      if (await refresh()) return user as User;
      const response = await post('/api/auth/guest');
      if (!response.ok) throw await errorFromResponse(response);
      return apply((await response.json()) as SessionInfo);
    },
    apply,
    forget,
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  return session;
}
