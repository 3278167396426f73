import { afterEach, describe, expect, it, vi } from 'vitest';

import { chunkedBody, sse } from '../test/fakeFetch';
import type { Body } from './answerStream';
import { createChatTransport, type AnswerListener, type TransportApi } from './chatTransport';
import { ChatApiError, networkError } from './errors';

const START = {
  request_id: 'r1',
  model: 'chat',
  conversation_id: 'c1',
  user_message_id: 'u1',
  assistant_message_id: 'a1',
};

function event(id: number | null, name: string, data: unknown): string {
  return `${id === null ? '' : `id: ${id}\n`}${sse(name, data)}`;
}

type Opened = Body | Error;

/** The api's streaming routes, answering from queues a test fills; every call recorded. */
function scriptedApi(script: { send?: Opened[]; retry?: Opened[]; follow?: Opened[] }) {
  const take = (queue: Opened[] | undefined, route: string): Promise<Body> => {
    const next = queue?.shift();
    if (next === undefined) return Promise.reject(new Error(`no ${route} scripted`));
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const calls = {
    send: [] as { key: string; parentId: string | null | undefined }[],
    follow: [] as { answerId: string; lastEventId: string | null }[],
    stop: [] as string[],
  };
  const api: TransportApi = {
    send: (_id, _text, _options, key, parentId) => {
      calls.send.push({ key, parentId });
      return take(script.send, 'send');
    },
    retry: () => take(script.retry, 'retry'),
    follow: (answerId, lastEventId) => {
      calls.follow.push({ answerId, lastEventId });
      return take(script.follow, 'follow');
    },
    stop: (answerId) => {
      calls.stop.push(answerId);
      return Promise.resolve({ status: 'stopping' });
    },
  };
  return { api, calls };
}

/** Every listener call, in order, as `name` or `name:value`. */
function recorder() {
  const seen: string[] = [];
  const listener: AnswerListener = {
    onStart: (info) => seen.push(`start:${info.assistant_message_id}`),
    onRestart: () => seen.push('restart'),
    onDelta: (text) => seen.push(`delta:${text}`),
    onTool: (event) => seen.push(`${event.name}:${event.data.call_id}`),
    onCitation: (citation) => seen.push(`citation:${String(citation.number)}`),
    onUsage: (usage) => seen.push(`usage:${usage.completion_tokens ?? '?'}`),
    onSnapshot: (snapshot) => seen.push(`snapshot:${snapshot.content}`),
    onReconnecting: (reconnecting) => seen.push(reconnecting ? 'reconnecting' : 'reconnected'),
  };
  return { seen, listener };
}

/** A body the test writes to and ends by hand; `cancelled` says whether the reader let the connection go. */
function openBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
  const state = { cancelled: false };
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(c) {
      controller = c;
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return {
    body,
    state,
    write: (text: string) => {
      controller.enqueue(new TextEncoder().encode(text));
    },
  };
}

const fast = { reconnectDelaysMs: [1], sendRetryBaseMs: 1 };
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the chat transport', () => {
  it('sends a message and reads its answer to the end, in order', async () => {
    const { api, calls } = scriptedApi({
      send: [
        chunkedBody([
          event(1, 'start', START) +
            event(2, 'delta', { text: 'Hel' }) +
            event(3, 'delta', { text: 'lo' }) +
            event(4, 'usage', { prompt_tokens: 3, completion_tokens: 2 }) +
            event(5, 'done', { finish_reason: 'stop' }),
        ]),
      ],
    });
    const { seen, listener } = recorder();
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, null, listener).outcome;
    expect(outcome).toEqual({ kind: 'done', finishReason: 'stop', started: true });
    expect(seen).toEqual(['start:a1', 'delta:Hel', 'delta:lo', 'usage:2']);
    expect(calls.send).toEqual([{ key: expect.any(String) as string, parentId: null }]);
  });

  it('tries a send that may not have arrived again with the same key, and no more than three times', async () => {
    const { api, calls } = scriptedApi({ send: [networkError(), networkError(), networkError()] });
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, undefined, recorder().listener).outcome;
    expect(outcome).toEqual({ kind: 'error', error: networkError().toInfo(), started: false });
    expect(calls.send).toHaveLength(3);
    expect(new Set(calls.send.map((call) => call.key)).size).toBe(1);
  });

  it('ends a refused request with the server’s own error, nothing started', async () => {
    const refused = new ChatApiError('rate_limited', 'Slow down.', 429);
    const { api, calls } = scriptedApi({ send: [refused] });
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, undefined, recorder().listener).outcome;
    expect(outcome).toEqual({ kind: 'error', error: { code: 'rate_limited', message: 'Slow down.' }, started: false });
    expect(calls.send).toHaveLength(1); // a refusal is an answer: never sent twice
  });

  it('follows a dropped answer again from its last event id, with no text lost or repeated', async () => {
    const { api, calls } = scriptedApi({
      send: [chunkedBody([event(1, 'start', START) + event(2, 'delta', { text: 'Before ' })], { cut: true })],
      follow: [
        networkError(), // still down
        new ChatApiError('http_error', 'Bad gateway', 502), // a replica restarting
        chunkedBody([event(3, 'delta', { text: 'after.' }) + event(4, 'done', { finish_reason: 'stop' })]),
      ],
    });
    const { seen, listener } = recorder();
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, null, listener).outcome;
    expect(outcome).toEqual({ kind: 'done', finishReason: 'stop', started: true });
    expect(calls.follow).toEqual([
      { answerId: 'a1', lastEventId: '2' },
      { answerId: 'a1', lastEventId: '2' },
      { answerId: 'a1', lastEventId: '2' },
    ]);
    expect(seen).toEqual([
      'start:a1',
      'delta:Before ',
      'reconnecting',
      'reconnecting',
      'reconnecting',
      'reconnected',
      'delta:after.',
    ]);
  });

  it('passes the tool events on in order with the text, and follows a cut mid-call from its last event', async () => {
    const fragment = (id: number, text: string, complete = false) =>
      event(id, 'tool_call', { call_id: 'k', tool: 'builtin-calculate', arguments: text, complete });
    const result = { call_id: 'k', tool: 'builtin-calculate', status: 'ok', preview: '4', duration_ms: 1 };
    const { api, calls } = scriptedApi({
      send: [
        chunkedBody([event(1, 'start', START) + event(2, 'delta', { text: 'Sum: ' }) + fragment(3, '{"e"')], {
          cut: true,
        }),
      ],
      follow: [
        chunkedBody([
          fragment(4, ': "2+2"}') +
            fragment(5, '{"e": "2+2"}', true) +
            event(6, 'tool_result', result) +
            event(7, 'delta', { text: '4.' }) +
            event(8, 'done', { finish_reason: 'stop' }),
        ]),
      ],
    });
    const { seen, listener } = recorder();
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, null, listener).outcome;
    expect(outcome).toEqual({ kind: 'done', finishReason: 'stop', started: true });
    expect(calls.follow).toEqual([{ answerId: 'a1', lastEventId: '3' }]);
    expect(seen).toEqual([
      'start:a1',
      'delta:Sum: ',
      'tool_call:k',
      'reconnecting',
      'reconnected',
      'tool_call:k',
      'tool_call:k',
      'tool_result:k',
      'delta:4.',
    ]);
  });

  it('gives up following when the server says the answer is gone (not a passing failure)', async () => {
    const { api, calls } = scriptedApi({
      send: [chunkedBody([event(1, 'start', START)], { cut: true })],
      follow: [new ChatApiError('not_found', 'No such answer.', 404)],
    });
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, null, recorder().listener).outcome;
    expect(outcome).toEqual({ kind: 'error', error: { code: 'not_found', message: 'No such answer.' }, started: true });
    expect(calls.follow).toHaveLength(1);
  });

  it('a cut before the server named the answer ends it as interrupted: there is nothing to follow', async () => {
    const { api, calls } = scriptedApi({ send: [chunkedBody([], { cut: true })] });
    const outcome = await createChatTransport(api, fast).send('c1', 'Hi', {}, null, recorder().listener).outcome;
    expect(outcome).toMatchObject({ kind: 'error', error: { code: 'stream_interrupted' }, started: false });
    expect(calls.follow).toHaveLength(0);
  });

  it('resumes an answer from its first event, replacing what is shown', async () => {
    const { api, calls } = scriptedApi({
      follow: [
        chunkedBody([
          event(1, 'start', START) +
            event(2, 'delta', { text: 'All of it' }) +
            event(3, 'done', { finish_reason: 'stop' }),
        ]),
      ],
    });
    const { seen, listener } = recorder();
    const outcome = await createChatTransport(api, fast).resume('a1', listener).outcome;
    expect(outcome).toEqual({ kind: 'done', finishReason: 'stop', started: true });
    expect(calls.follow).toEqual([{ answerId: 'a1', lastEventId: null }]);
    expect(seen).toEqual(['restart', 'delta:All of it']); // named already: no start of its own
  });

  it('after a snapshot a cut reader follows from the first event again, as a replay', async () => {
    const snapshot = { assistant_message_id: 'a1', content: 'so far', status: 'streaming' };
    const { api, calls } = scriptedApi({
      send: [chunkedBody([event(1, 'start', START) + event(null, 'snapshot', snapshot)], { cut: true })],
      follow: [
        chunkedBody([
          event(1, 'start', START) +
            event(2, 'delta', { text: 'so far, and on' }) +
            event(3, 'done', { finish_reason: 'stop' }),
        ]),
      ],
    });
    const { seen, listener } = recorder();
    await createChatTransport(api, fast).send('c1', 'Hi', {}, null, listener).outcome;
    expect(calls.follow).toEqual([{ answerId: 'a1', lastEventId: null }]);
    expect(seen).toEqual([
      'start:a1',
      'snapshot:so far',
      'reconnecting',
      'reconnected',
      'restart',
      'delta:so far, and on',
    ]);
  });

  it('Stop before the server names the answer stops it as soon as it does; after, at once', async () => {
    const first = openBody();
    const { api, calls } = scriptedApi({ send: [first.body] });
    const answer = createChatTransport(api, fast).send('c1', 'Hi', {}, null, recorder().listener);
    answer.stop();
    await tick();
    expect(calls.stop).toEqual([]);
    first.write(event(1, 'start', START));
    await tick();
    expect(calls.stop).toEqual(['a1']);
    answer.stop();
    expect(calls.stop).toEqual(['a1', 'a1']);
    first.write(event(2, 'done', { finish_reason: 'cancelled' }));
    expect(await answer.outcome).toEqual({ kind: 'done', finishReason: 'cancelled', started: true });
  });

  it('abort closes the connection and says nothing more; the answer goes on on the server', async () => {
    const first = openBody();
    const { api, calls } = scriptedApi({ send: [first.body] });
    const { seen, listener } = recorder();
    const answer = createChatTransport(api, fast).send('c1', 'Hi', {}, null, listener);
    first.write(event(1, 'start', START) + event(2, 'delta', { text: 'a' }));
    await tick();
    answer.abort();
    expect(await answer.outcome).toEqual({ kind: 'aborted' });
    expect(first.state.cancelled).toBe(true);
    expect(seen).toEqual(['start:a1', 'delta:a']);
    expect(calls.stop).toEqual([]);
  });

  it('abort during the backoff ends it at once, with no follow', async () => {
    const { api, calls } = scriptedApi({ send: [chunkedBody([event(1, 'start', START)], { cut: true })] });
    const answer = createChatTransport(api, { reconnectDelaysMs: [60_000] }).send(
      'c1',
      'Hi',
      {},
      null,
      recorder().listener,
    );
    await tick();
    answer.abort();
    expect(await answer.outcome).toEqual({ kind: 'aborted' });
    expect(calls.follow).toEqual([]);
  });

  it('a device back online follows at once, without waiting out the backoff', async () => {
    const { api, calls } = scriptedApi({
      send: [chunkedBody([event(1, 'start', START)], { cut: true })],
      follow: [chunkedBody([event(2, 'done', { finish_reason: 'stop' })])],
    });
    const answer = createChatTransport(api, { reconnectDelaysMs: [60_000] }).send(
      'c1',
      'Hi',
      {},
      null,
      recorder().listener,
    );
    await tick();
    window.dispatchEvent(new Event('online'));
    expect(await answer.outcome).toMatchObject({ kind: 'done' });
    expect(calls.follow).toEqual([{ answerId: 'a1', lastEventId: '1' }]);
  });

  it('leaves no listener behind on the window or the abort signal once an answer has ended', async () => {
    const added = [vi.spyOn(window, 'addEventListener'), vi.spyOn(AbortSignal.prototype, 'addEventListener')];
    const removed = [vi.spyOn(window, 'removeEventListener'), vi.spyOn(AbortSignal.prototype, 'removeEventListener')];
    const { api } = scriptedApi({
      send: [chunkedBody([event(1, 'start', START)], { cut: true })],
      follow: [networkError(), chunkedBody([event(2, 'done', { finish_reason: 'stop' })])],
    });
    await createChatTransport(api, fast).send('c1', 'Hi', {}, null, recorder().listener).outcome;
    const types = added.flatMap((spy) => spy.mock.calls.map(([type]) => type));
    expect(new Set(types)).toEqual(new Set(['offline', 'online', 'abort'])); // readAnswer's and the backoff's
    const gone = new Set(removed.flatMap((spy) => spy.mock.calls.map(([, listener]) => listener)));
    for (const spy of added)
      for (const [type, listener] of spy.mock.calls) expect([type, gone.has(listener)]).toEqual([type, true]);
  });
});
