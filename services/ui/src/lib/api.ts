import type {
  ChatOptions,
  ConversationDetail,
  ConversationPage,
  ConversationSummary,
  MessagePage,
  ModelsView,
  SessionInfo,
  UsageView,
  User,
  UserMemoryList,
} from '../types/chat';
import type { ApprovalDecision } from '../types/tools';
import type { Body } from './answerStream';
import { errorFromResponse, networkError } from './errors';
import type { Session } from './session';

/** The api's routes, typed; every failure a `ChatApiError` with the server's own words. */
export function createApi(session: Session) {
  async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined) headers.set('Content-Type', 'application/json');
    const response = await session.fetch(path, { ...init, headers });
    if (!response.ok) throw await errorFromResponse(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  async function stream(path: string, init: RequestInit): Promise<Body> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'text/event-stream');
    if (init.body !== undefined) headers.set('Content-Type', 'application/json');
    const response = await session.fetch(path, { ...init, headers });
    if (!response.ok) throw await errorFromResponse(response);
    if (!response.body) throw networkError();
    return response.body;
  }

  const body = (value: unknown) => JSON.stringify(value);
  const conversation = (id: string) => `/api/conversations/${encodeURIComponent(id)}`;

  return {
    conversations: (cursor?: string | null) =>
      json<ConversationPage>(`/api/conversations${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`),
    create: () => json<ConversationSummary>('/api/conversations', { method: 'POST', body: body({}) }),
    conversation: (id: string) => json<ConversationDetail>(conversation(id)),
    earlier: (id: string, before: string) =>
      json<MessagePage>(`${conversation(id)}/messages?before=${encodeURIComponent(before)}&limit=50`),
    rename: (id: string, title: string) =>
      json<ConversationSummary>(conversation(id), { method: 'PATCH', body: body({ title }) }),
    /** Tools offered to the model in this conversation's answers, or none. */
    setTools: (id: string, enabled: boolean) =>
      json<ConversationSummary>(conversation(id), { method: 'PATCH', body: body({ tools_enabled: enabled }) }),
    remove: (id: string) => json<undefined>(conversation(id), { method: 'DELETE' }),
    chooseBranch: (id: string, messageId: string) =>
      json<ConversationDetail>(`${conversation(id)}/branch`, { method: 'PUT', body: body({ message_id: messageId }) }),
    importMany: (conversations: unknown[]) =>
      json<{ conversations: ConversationSummary[] }>('/api/conversations/import', {
        method: 'POST',
        body: body({ conversations }),
      }),
    exportFile: async (id: string, format: 'markdown' | 'json') => {
      const response = await session.fetch(`${conversation(id)}/export?format=${format}`);
      if (!response.ok) throw await errorFromResponse(response);
      const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1];
      return { blob: await response.blob(), name: name ?? `conversation.${format === 'json' ? 'json' : 'md'}` };
    },

    /** The answer to a new message, streamed; `parentId` (an answer, or null for the first message) edits. */
    send: (id: string, content: string, options: ChatOptions, key: string, parentId?: string | null) =>
      stream(`${conversation(id)}/messages`, {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: body(parentId === undefined ? { content, options } : { content, options, parent_id: parentId }),
      }),
    retry: (id: string, answerId: string, options: ChatOptions) =>
      stream(`${conversation(id)}/messages/${encodeURIComponent(answerId)}/retry`, {
        method: 'POST',
        body: body({ options }),
      }),
    /** An answer's events after `lastEventId` (all of them without one), then live, to its end. */
    follow: (answerId: string, lastEventId: string | null, signal?: AbortSignal) =>
      stream(`/api/generations/${encodeURIComponent(answerId)}/events`, {
        headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {},
        signal: signal ?? null,
      }),
    stop: (answerId: string) =>
      json<{ status: string }>(`/api/generations/${encodeURIComponent(answerId)}/stop`, { method: 'POST' }),
    /** The user's answer to an `approval_required` (from any tab: the server passes it to the answer's owner). */
    decide: (answerId: string, callId: string, decision: ApprovalDecision) =>
      json<{ status: string }>(`/api/generations/${encodeURIComponent(answerId)}/approvals`, {
        method: 'POST',
        body: body({ call_id: callId, decision }),
      }),

    register: (email: string, password: string) =>
      json<SessionInfo>('/api/auth/register', { method: 'POST', body: body({ email, password }) }),
    signIn: (email: string, password: string) =>
      json<SessionInfo>('/api/auth/login', { method: 'POST', body: body({ email, password }) }),
    signOut: () => json<undefined>('/api/auth/logout', { method: 'POST' }),
    signOutEverywhere: () => json<undefined>('/api/auth/logout-everywhere', { method: 'POST' }),
    changePassword: (current: string, next: string) =>
      json<SessionInfo>('/api/auth/password', {
        method: 'POST',
        body: body({ current_password: current, new_password: next }),
      }),
    me: () => json<User>('/api/me'),
    /** The account and everything of it, for good; an account sends its password, a guest nothing. */
    deleteAccount: (password?: string) =>
      json<undefined>('/api/me', { method: 'DELETE', body: body(password === undefined ? {} : { password }) }),
    usage: () => json<UsageView>('/api/me/usage'),
    memories: () => json<UserMemoryList>('/api/me/memories'),
    forgetMemory: (id: string) => json<undefined>(`/api/me/memories/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    forgetMemories: () => json<undefined>('/api/me/memories', { method: 'DELETE' }),
    models: () => json<ModelsView>('/api/models'),
  };
}

export type Api = ReturnType<typeof createApi>;
