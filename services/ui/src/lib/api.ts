import type {
  AnswerChoice,
  ChatOptions,
  ConversationDetail,
  ConversationPage,
  ConversationSummary,
  Feedback,
  MessagePage,
  ModelsView,
  SearchPage,
  SessionInfo,
  ShareCreated,
  SharePage,
  ToolList,
  UsageView,
  User,
  UserMemoryList,
  VoteBody,
} from '../types/chat';
import type { FileView } from '../types/files';
import type { ApprovalDecision } from '../types/tools';
import type { Body } from './answerStream';
import { errorFromResponse, networkError } from './errors';
import type { Session } from './session';

/** The api's routes, typed; every failure a `ChatApiError` with the server's own words. */

/** A send's options and model as the body carries them (`model` beside `options`, and only when picked). */
function chosen({ model, ...options }: AnswerChoice): { options: ChatOptions; model?: string } {
  return model === undefined ? { options } : { options, model };
}

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
    /** The MCP servers (by name) whose tools this conversation's answers may not call: the whole list. */
    setServersOff: (id: string, off: string[]) =>
      json<ConversationSummary>(conversation(id), { method: 'PATCH', body: body({ mcp_servers_off: off }) }),
    /** The tools answers may call, and the MCP servers they come from. */
    tools: () => json<ToolList>('/api/tools'),
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

    /** The answer to a new message, streamed; `parentId` (an answer, or null for the first message) edits;
     * `attachments`: ids of the conversation's files sent with it. */
    send: (
      id: string,
      content: string,
      choice: AnswerChoice,
      key: string,
      parentId?: string | null,
      attachments: readonly string[] = [],
    ) =>
      stream(`${conversation(id)}/messages`, {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
        body: body({
          content,
          ...chosen(choice),
          ...(parentId === undefined ? {} : { parent_id: parentId }),
          ...(attachments.length ? { attachments } : {}),
        }),
      }),
    retry: (id: string, answerId: string, choice: AnswerChoice) =>
      stream(`${conversation(id)}/messages/${encodeURIComponent(answerId)}/retry`, {
        method: 'POST',
        body: body(chosen(choice)),
      }),
    /** Answers from `model` (an id of `models()`) from the next one on. */
    setModel: (id: string, model: string) =>
      json<ConversationSummary>(conversation(id), { method: 'PATCH', body: body({ model }) }),
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

    /** The user's conversations searched (titles and message text), best first. */
    search: (query: string, signal?: AbortSignal) =>
      json<SearchPage>(`/api/search?q=${encodeURIComponent(query)}&limit=20`, { signal: signal ?? null }),

    vote: (id: string, answerId: string, vote: VoteBody) =>
      json<Feedback>(`${conversation(id)}/messages/${encodeURIComponent(answerId)}/feedback`, {
        method: 'PUT',
        body: body(vote),
      }),
    withdrawVote: (id: string, answerId: string) =>
      json<undefined>(`${conversation(id)}/messages/${encodeURIComponent(answerId)}/feedback`, { method: 'DELETE' }),

    /** A read-only link to the branch ending at `lastMessageId`, as it is now. */
    share: (id: string, lastMessageId: string) =>
      json<ShareCreated>(`${conversation(id)}/shares`, { method: 'POST', body: body({ message_id: lastMessageId }) }),
    shares: (conversationId: string) =>
      json<SharePage>(`/api/shares?conversation_id=${encodeURIComponent(conversationId)}`),
    /** The conversation's files, with where each stands (`embedding`: `chunks_done` of `chunks_total`). */
    files: (id: string) => json<{ items: FileView[] }>(`${conversation(id)}/files`),
    /** One file attached to the conversation; `onProgress` hears the share of its bytes sent. */
    upload: async (id: string, file: File, onProgress: (sent: number) => void, signal?: AbortSignal) => {
      const form = new FormData();
      form.append('file', file, file.name);
      const response = await session.upload(`${conversation(id)}/files`, form, onProgress, signal);
      if (!response.ok) throw await errorFromResponse(response);
      return (await response.json()) as FileView;
    },
    removeFile: (id: string, fileId: string) =>
      json<undefined>(`${conversation(id)}/files/${encodeURIComponent(fileId)}`, { method: 'DELETE' }),
    /** A file's original bytes (the route needs the access token, so no plain link can show them). */
    fileContent: async (id: string, fileId: string) => {
      const response = await session.fetch(`${conversation(id)}/files/${encodeURIComponent(fileId)}/content`);
      if (!response.ok) throw await errorFromResponse(response);
      return response.blob();
    },
    revokeShare: (shareId: string) =>
      json<undefined>(`/api/shares/${encodeURIComponent(shareId)}`, { method: 'DELETE' }),
  };
}

export type Api = ReturnType<typeof createApi>;
