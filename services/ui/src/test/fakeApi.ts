import { vi } from 'vitest';

import type { AuthMethods } from '../components/SignInWithProvider';
import type {
  ChatMessage,
  ConversationSummary,
  FinishReason,
  ModelInfo,
  SearchHit,
  SharedConversation,
  ShareView,
  UsageView,
  UserMemory,
  VoteBody,
} from '../types/chat';
import type { ApprovalDecision } from '../types/tools';
import { errorResponse, sse } from './fakeFetch';

let counter = 0;
const nextId = (prefix: string) => `${prefix}${++counter}`;

/** One answer being written, driven by the test; its events carry ids, as the server's do. */
export class Answer {
  private controller!: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
  private readonly encoder = new TextEncoder();
  private eventId = 0;
  readonly request: Record<string, unknown>;
  readonly response: Response;
  closed = false;

  constructor(
    private readonly server: FakeApi,
    readonly message: ChatMessage,
    readonly conversationId: string,
    readonly userMessageId: string,
    init: RequestInit,
    from: { start: boolean; lastEventId: number } = { start: true, lastEventId: 0 },
  ) {
    this.eventId = from.lastEventId;
    this.request = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start: (controller) => {
        this.controller = controller;
      },
    });
    this.response = new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    if (from.start)
      this.sendUnlogged('start', {
        request_id: 'r',
        model: typeof this.request.model === 'string' ? this.request.model : 'chat',
        conversation_id: conversationId,
        user_message_id: userMessageId,
        assistant_message_id: message.id,
      });
  }

  /** An event of the answer, kept as the server's log keeps it: a reader that follows the answer from its start
   * gets it again (after a `start` of its own). */
  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.server.eventLog(this.message.id).push({ event, data });
    this.sendUnlogged(event, data);
  }

  sendUnlogged(event: string, data: unknown): void {
    if (this.closed) return;
    this.controller.enqueue(this.encoder.encode(`id: ${++this.eventId}\n${sse(event, data)}`));
  }

  delta(text: string): void {
    this.message.content += text;
    this.send('delta', { text });
  }

  finish(reason: FinishReason = 'stop'): void {
    this.message.status = reason === 'cancelled' ? 'stopped' : 'done';
    this.message.finish_reason = reason;
    this.message.usage = { prompt_tokens: 10, completion_tokens: 5 };
    this.send('usage', { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 });
    this.send('done', { finish_reason: reason });
    this.close();
  }

  fail(code: string, message: string): void {
    this.message.status = 'error';
    this.message.error = { code, message };
    this.send('error', { code, message });
    this.close();
  }

  /** The connection drops; the answer goes on on the server. */
  cut(): void {
    this.controller.error(new TypeError('network error'));
    this.closed = true;
  }

  private close(): void {
    this.controller.close();
    this.closed = true;
    this.server.live.delete(this.message.id);
  }
}

interface StoredConversation {
  summary: ConversationSummary;
  messages: ChatMessage[];
  leaf: string | null;
}

function message(role: 'user' | 'assistant', parent: string | null, content = ''): ChatMessage {
  const now = new Date(Date.now() + counter).toISOString();
  const id = nextId(role === 'user' ? 'u' : 'a');
  return {
    id,
    parent_id: parent,
    role,
    content,
    status: role === 'user' ? 'done' : 'streaming',
    finish_reason: null,
    error: null,
    model: 'chat',
    usage: null,
    created_at: now,
    updated_at: now,
    sibling_ids: [],
    parts: null,
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** The api, in memory: sessions, conversations with their message trees, answers a test drives by hand. */
export class FakeApi {
  readonly conversations = new Map<string, StoredConversation>();
  readonly answers: Answer[] = [];
  readonly live = new Map<string, Answer>();
  readonly stops: string[] = [];
  /** The next this many Stops reach no one (503 `stop_unavailable`), as while Redis restarts. */
  stopsUnreached = 0;
  readonly fetch = vi.fn((url: string, init: RequestInit = {}) => Promise.resolve(this.handle(url, init)));
  cookie = false;
  guests = 0;
  account: string | null = null;
  /** The account's tier is an admin tier (`admin` in /api/me). */
  admin = false;
  password = 'correct horse';
  deletedAccounts = 0;
  readonly imported: string[] = [];
  nextFailure: Response | null = null;
  usage: UsageView = { limited: false };
  methods: AuthMethods = { guests: true, passwords: true, oidc: null };
  model: ModelInfo = {
    id: 'chat',
    label: 'chat',
    default: true,
    provider: 'azure',
    reasoning: false,
    options: ['max_tokens', 'temperature', 'top_p'],
    reasoning_efforts: [],
    default_reasoning_effort: null,
    context_window: 128000,
    max_output_tokens: 4096,
    default_max_tokens: 1024,
    vision: true,
    tools: true,
  };
  /** Several models (the default first); null: `model` alone. */
  models: ModelInfo[] | null = null;
  readonly calls: string[] = [];
  /** Each answer's events after its `start`, in order (what a follower from the first event is sent). */
  private readonly logs = new Map<string, { event: string; data: unknown }[]>();
  /** The decisions posted, and the answer the next one gets (202 when null). */
  readonly approvals: { answerId: string; call_id: string; decision: ApprovalDecision }[] = [];
  nextApprovalReply: Response | null = null;
  /** Tools switches posted, in order. */
  readonly toolSwitches: boolean[] = [];
  /** The MCP servers `GET /api/tools` names (none unless a test sets them). */
  toolServers: string[] = [];
  memories: UserMemory[] = [];
  memoryLimit = 50;
  /** What a search finds (those whose title or snippet holds the query), and the queries asked. */
  searchHits: SearchHit[] = [];
  readonly searches: string[] = [];
  /** Votes sent, in order (null: withdrawn). */
  readonly votes: { answerId: string; vote: VoteBody | null }[] = [];
  /** Share links (the owner's view), their snapshots by token, and how each shared page was read. */
  shares: (ShareView & { token: string; leaf: string })[] = [];
  readonly snapshots = new Map<string, SharedConversation>();
  readonly sharedReads: { token: string; credentials: RequestCredentials | undefined; authorization: string | null }[] =
    [];

  eventLog(answerId: string): { event: string; data: unknown }[] {
    let log = this.logs.get(answerId);
    if (!log) this.logs.set(answerId, (log = []));
    return log;
  }

  latest(): Answer {
    const answer = this.answers.at(-1);
    if (!answer) throw new Error('no answer was asked for');
    return answer;
  }

  failNextWith(status: number, code: string, text: string): void {
    this.nextFailure = errorResponse(status, code, text);
  }

  private branch(stored: StoredConversation): ChatMessage[] {
    const byId = new Map(stored.messages.map((m) => [m.id, m]));
    let leaf = stored.leaf;
    if (leaf === null) leaf = stored.messages.at(-1)?.id ?? null;
    // down to the newest descendant
    for (;;) {
      const children = stored.messages.filter((m) => m.parent_id === leaf);
      const newest = children.at(-1);
      if (!newest) break;
      leaf = newest.id;
    }
    const path: ChatMessage[] = [];
    for (
      let current = leaf ? byId.get(leaf) : undefined;
      current;
      current = current.parent_id ? byId.get(current.parent_id) : undefined
    ) {
      path.unshift({
        ...current,
        sibling_ids: stored.messages.filter((m) => m.parent_id === current.parent_id).map((m) => m.id),
      });
    }
    return path;
  }

  detail(id: string) {
    const stored = this.conversations.get(id);
    if (!stored) throw new Error(`no conversation ${id}`);
    return { ...stored.summary, messages: { items: this.branch(stored), earlier: null } };
  }

  private handle(url: string, init: RequestInit): Response {
    const method = init.method ?? 'GET';
    const path = url.split('?')[0] ?? url;
    this.calls.push(path);
    if (path === '/api/auth/refresh') {
      return this.cookie ? json(this.session()) : errorResponse(401, 'unauthorized', 'No session.');
    }
    if (path === '/api/auth/methods') return json(this.methods);
    if (path === '/api/auth/guest') {
      if (!this.methods.guests) return errorResponse(403, 'guests_disabled', 'Guest sessions are turned off here.');
      this.cookie = true;
      this.guests++;
      return json(this.session(), 201);
    }
    if (path === '/api/auth/register' || path === '/api/auth/login') {
      const { email } = JSON.parse(init.body as string) as { email: string };
      this.account = email;
      return json(this.session(), path.endsWith('register') ? 201 : 200);
    }
    if (path === '/api/auth/logout' || path === '/api/auth/logout-everywhere') {
      this.account = null;
      this.cookie = false;
      return new Response(null, { status: 204 });
    }
    if (path === '/api/me' && method === 'DELETE') {
      const { password } = JSON.parse(init.body as string) as { password?: string };
      if (this.account !== null && password !== this.password) {
        return errorResponse(403, 'forbidden', 'The password is wrong.');
      }
      this.account = null;
      this.cookie = false;
      this.conversations.clear();
      this.deletedAccounts++;
      return new Response(null, { status: 204 });
    }
    if (path === '/api/me/usage') {
      return json(this.usage);
    }
    if (path === '/api/models') {
      return json({ models: this.models ?? [this.model] });
    }
    if (path === '/api/tools') {
      const servers = this.toolServers.map((name) => ({ name, available: true }));
      return json({ enabled: true, items: [], servers });
    }
    const shared = /^\/api\/shared\/(.+)$/.exec(path)?.[1];
    if (shared !== undefined) {
      const token = decodeURIComponent(shared);
      const authorization = new Headers(init.headers).get('Authorization');
      this.sharedReads.push({ token, credentials: init.credentials, authorization });
      const snapshot = this.snapshots.get(token);
      return snapshot ? json(snapshot) : errorResponse(404, 'not_found', 'No such shared conversation.');
    }
    if (path === '/api/conversations/import') {
      const { conversations } = JSON.parse(init.body as string) as { conversations: { title: string }[] };
      this.imported.push(...conversations.map((c) => c.title));
      return json({ conversations: [] }, 201);
    }
    if (this.nextFailure) {
      const failure = this.nextFailure;
      this.nextFailure = null;
      return failure;
    }
    if (path === '/api/me/memories' && method === 'GET') {
      return json({ items: this.memories, limit: this.memoryLimit });
    }
    if (path === '/api/me/memories' && method === 'DELETE') {
      this.memories = [];
      return new Response(null, { status: 204 });
    }
    const memory = /^\/api\/me\/memories\/([^/]+)$/.exec(path)?.[1];
    if (memory && method === 'DELETE') {
      if (!this.memories.some((item) => item.id === memory)) return errorResponse(404, 'not_found', 'No such memory.');
      this.memories = this.memories.filter((item) => item.id !== memory);
      return new Response(null, { status: 204 });
    }
    if (path === '/api/search') {
      const query = new URL(url, 'http://page').searchParams.get('q') ?? '';
      this.searches.push(query);
      const wanted = query.toLowerCase();
      const items = this.searchHits.filter((hit) =>
        [hit.title, ...hit.snippet.map((part) => part.text)].join(' ').toLowerCase().includes(wanted),
      );
      return json({ items, next_cursor: null });
    }
    if (path === '/api/shares' && method === 'GET') {
      const only = new URL(url, 'http://page').searchParams.get('conversation_id');
      const items = this.shares
        .filter((share) => only === null || share.conversation_id === only)
        .map(({ token: _token, leaf: _leaf, ...view }) => view);
      return json({ items, next_cursor: null });
    }
    const share = /^\/api\/shares\/([^/]+)$/.exec(path)?.[1];
    if (share && method === 'DELETE') {
      const found = this.shares.find((item) => item.id === share);
      if (!found) return errorResponse(404, 'not_found', 'No such share link.');
      this.shares = this.shares.filter((item) => item !== found);
      this.snapshots.delete(found.token);
      return new Response(null, { status: 204 });
    }
    if (path === '/api/conversations' && method === 'GET') {
      const items = [...this.conversations.values()].map((c) => c.summary).reverse();
      return json({ items, next_cursor: null });
    }
    if (path === '/api/conversations' && method === 'POST') {
      const summary = {
        id: nextId('c'),
        title: 'New chat',
        created_at: '',
        updated_at: '',
        tools_enabled: true,
        model: null,
      };
      this.conversations.set(summary.id, { summary, messages: [], leaf: null });
      return json(summary, 201);
    }
    let match = /^\/api\/conversations\/([^/]+)$/.exec(path);
    if (match?.[1] && method === 'GET') return json(this.detail(match[1]));
    const named = match?.[1] ? this.conversations.get(match[1]) : undefined;
    if (match?.[1] && method === 'PATCH' && named) {
      const change = JSON.parse(init.body as string) as {
        title?: string;
        tools_enabled?: boolean;
        mcp_servers_off?: string[];
      };
      if (change.title !== undefined) named.summary.title = change.title;
      if (change.mcp_servers_off !== undefined) named.summary.mcp_servers_off = change.mcp_servers_off;
      if (change.tools_enabled !== undefined) {
        named.summary.tools_enabled = change.tools_enabled;
        this.toolSwitches.push(change.tools_enabled);
      }
      return json(named.summary);
    }
    if (match?.[1] && method === 'DELETE' && named) {
      this.conversations.delete(match[1]);
      return new Response(null, { status: 204 });
    }
    match = /^\/api\/conversations\/([^/]+)\/export$/.exec(path);
    if (match?.[1] && this.conversations.has(match[1])) {
      const format = new URL(url, 'http://page').searchParams.get('format');
      const name = format === 'json' ? 'chat.json' : 'chat.md';
      return new Response('{}', { headers: { 'Content-Disposition': `attachment; filename="${name}"` } });
    }
    match = /^\/api\/conversations\/([^/]+)\/messages\/([^/]+)\/feedback$/.exec(path);
    if (match?.[1] && match[2]) {
      const answerId = match[2];
      const answer = this.conversations.get(match[1])?.messages.find((m) => m.id === answerId);
      if (answer?.role !== 'assistant') return errorResponse(404, 'not_found', 'No such answer.');
      if (method === 'DELETE') {
        answer.feedback = null;
        this.votes.push({ answerId, vote: null });
        return new Response(null, { status: 204 });
      }
      const vote = JSON.parse(init.body as string) as VoteBody;
      this.votes.push({ answerId, vote });
      answer.feedback = {
        rating: vote.rating,
        reason: vote.reason ?? null,
        comment: vote.comment ?? null,
        updated_at: new Date(Date.now() + ++counter).toISOString(),
      };
      return json(answer.feedback);
    }
    match = /^\/api\/conversations\/([^/]+)\/shares$/.exec(path);
    if (match?.[1] && method === 'POST') {
      const stored = this.conversations.get(match[1]);
      const { message_id: leaf } = JSON.parse(init.body as string) as { message_id: string };
      const branch = stored ? this.branch(stored) : [];
      const cut = branch.findIndex((m) => m.id === leaf);
      if (!stored || cut < 0) return errorResponse(404, 'not_found', 'No such conversation or message.');
      const created = {
        id: nextId('s'),
        conversation_id: stored.summary.id,
        title: stored.summary.title,
        message_count: cut + 1,
        created_at: new Date().toISOString(),
        token: nextId('token-'),
        leaf,
      };
      this.shares.unshift(created);
      this.snapshots.set(created.token, {
        version: 1,
        title: created.title,
        shared_at: created.created_at,
        messages: branch.slice(0, cut + 1).map((m) => ({
          role: m.role,
          content: m.content,
          parts: m.parts,
          status: m.status === 'stopped' ? 'stopped' : 'done',
          created_at: m.created_at,
        })),
      });
      const { leaf: _leaf, ...body } = created;
      return json(body, 201);
    }
    match = /^\/api\/conversations\/([^/]+)\/messages$/.exec(path);
    if (match?.[1] && method === 'POST') {
      const stored = this.conversations.get(match[1]);
      if (!stored) return errorResponse(404, 'not_found', 'No such conversation.');
      const body = JSON.parse(init.body as string) as { content: string; parent_id?: string | null; model?: string };
      if (body.model !== undefined) stored.summary.model = body.model;
      const parent = 'parent_id' in body ? (body.parent_id ?? null) : (this.branch(stored).at(-1)?.id ?? null);
      if (stored.summary.title === 'New chat') stored.summary.title = body.content.slice(0, 48);
      const user = message('user', parent, body.content);
      return this.answer(stored, user, init);
    }
    match = /^\/api\/conversations\/([^/]+)\/messages\/([^/]+)\/retry$/.exec(path);
    if (match?.[1] && match[2]) {
      const stored = this.conversations.get(match[1]);
      const old = stored?.messages.find((m) => m.id === match?.[2]);
      const user = stored?.messages.find((m) => m.id === old?.parent_id);
      if (!stored || !user) return errorResponse(404, 'not_found', 'No such answer.');
      return this.answer(stored, null, init, user.id);
    }
    match = /^\/api\/conversations\/([^/]+)\/branch$/.exec(path);
    if (match?.[1]) {
      const stored = this.conversations.get(match[1]);
      if (!stored) return errorResponse(404, 'not_found', 'No such conversation.');
      stored.leaf = (JSON.parse(init.body as string) as { message_id: string }).message_id;
      return json(this.detail(match[1]));
    }
    match = /^\/api\/generations\/([^/]+)\/stop$/.exec(path);
    if (match?.[1]) {
      this.stops.push(match[1]);
      if (this.stopsUnreached > 0) {
        this.stopsUnreached -= 1;
        return errorResponse(503, 'stop_unavailable', 'The server writing this answer could not be reached.');
      }
      this.live.get(match[1])?.finish('cancelled');
      return json({ status: 'stopping' }, 202);
    }
    match = /^\/api\/generations\/([^/]+)\/approvals$/.exec(path);
    if (match?.[1] && method === 'POST') {
      const { call_id, decision } = JSON.parse(init.body as string) as { call_id: string; decision: ApprovalDecision };
      this.approvals.push({ answerId: match[1], call_id, decision });
      const reply = this.nextApprovalReply;
      this.nextApprovalReply = null;
      return reply ?? json({ status: 'decided' }, 202);
    }
    match = /^\/api\/generations\/([^/]+)\/events$/.exec(path);
    if (match?.[1]) {
      const answer = this.live.get(match[1]);
      if (!answer) return errorResponse(404, 'not_found', 'No such answer.');
      // Followed again: after the last event the reader saw, or (without one) from the start.
      const last = new Headers(init.headers).get('Last-Event-ID');
      const from = { start: last === null, lastEventId: Number(last ?? 0) };
      const follower = new Answer(this, answer.message, answer.conversationId, answer.userMessageId, init, from);
      if (last === null) for (const { event, data } of this.eventLog(match[1])) follower.sendUnlogged(event, data);
      this.answers.push(follower); // the test drives it as the same answer, now followed again
      this.live.set(match[1], follower);
      return follower.response;
    }
    return errorResponse(404, 'not_found', `fake api: no route ${method} ${path}`);
  }

  private answer(stored: StoredConversation, user: ChatMessage | null, init: RequestInit, userId?: string): Response {
    if (user) stored.messages.push(user);
    const assistant = message('assistant', user?.id ?? userId ?? null);
    assistant.model = stored.summary.model ?? 'chat';
    stored.messages.push(assistant);
    stored.leaf = assistant.id;
    const answer = new Answer(this, assistant, stored.summary.id, user?.id ?? userId ?? '', init);
    this.answers.push(answer);
    this.live.set(assistant.id, answer);
    return answer.response;
  }

  private session() {
    const user = this.account
      ? { id: 'account-1', email: this.account, guest: false, admin: this.admin }
      : { id: `guest-${this.guests}`, email: null, guest: true };
    return { access_token: `token-${this.guests}`, expires_in: 600, user };
  }
}

export function fakeApi(): FakeApi {
  const api = new FakeApi();
  vi.stubGlobal('fetch', api.fetch);
  return api;
}
