import { afterEach, describe, expect, it, vi } from 'vitest';

import { chunkedBody, errorResponse, mockFetch, splitBytes, sse, streamResponse } from '../test/fakeFetch';
import { ChatApiError } from './errors';
import { streamChatEvents } from './sseClient';

const request = { message: 'hi', history: [], options: {} };

function collect() {
  const seen = {
    deltas: [] as string[],
    usage: undefined as unknown,
    done: undefined as unknown,
    start: undefined as unknown,
  };
  return {
    seen,
    handlers: {
      onStart: (info: unknown) => (seen.start = info),
      onDelta: (text: string) => seen.deltas.push(text),
      onUsage: (usage: unknown) => (seen.usage = usage),
      onDone: (reason: unknown) => (seen.done = reason),
    },
  };
}

const FULL =
  sse('start', { request_id: 'r1', model: 'chat' }) +
  ': keep-alive\n\n' +
  sse('delta', { text: 'Grüß ' }) +
  sse('delta', { text: 'こんにちは 🚀' }) +
  sse('usage', { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }) +
  sse('done', { finish_reason: 'stop' });

afterEach(() => vi.unstubAllGlobals());

describe('streamChatEvents', () => {
  it.each([1, 3, 7, 64])('parses events split every %i bytes, mid-event and mid-character', async (every) => {
    mockFetch(streamResponse(chunkedBody(splitBytes(FULL, every))));
    const { seen, handlers } = collect();
    await streamChatEvents(request, handlers);
    expect(seen.start).toEqual({ request_id: 'r1', model: 'chat' });
    expect(seen.deltas.join('')).toBe('Grüß こんにちは 🚀');
    expect(seen.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(seen.done).toBe('stop');
  });

  it('posts the request as JSON to the events endpoint', async () => {
    const fetchMock = mockFetch(streamResponse(chunkedBody([FULL])));
    await streamChatEvents(request, collect().handlers);
    const [url, init] = fetchMock.mock.calls[0] ?? [];
    expect(url).toBe('/api/chat/events');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(init?.body as string)).toEqual(request);
  });

  it('rejects with the server envelope on an HTTP error before the stream', async () => {
    mockFetch(errorResponse(429, 'upstream_rate_limited', 'The model is receiving too many requests.'));
    const error = await streamChatEvents(request, collect().handlers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatApiError);
    expect(error).toMatchObject({
      code: 'upstream_rate_limited',
      status: 429,
      message: 'The model is receiving too many requests.',
    });
  });

  it('describes an error without the envelope by its status', async () => {
    mockFetch(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(streamChatEvents(request, collect().handlers)).rejects.toMatchObject({
      code: 'http_error',
      status: 502,
    });
  });

  it('keeps the deltas and rejects on a mid-stream error event', async () => {
    const body =
      sse('start', { request_id: 'r', model: 'm' }) +
      sse('delta', { text: 'part' }) +
      sse('error', { code: 'upstream_unavailable', message: 'The model service could not be reached. Retry.' });
    mockFetch(streamResponse(chunkedBody([body])));
    const { seen, handlers } = collect();
    await expect(streamChatEvents(request, handlers)).rejects.toMatchObject({ code: 'upstream_unavailable' });
    expect(seen.deltas).toEqual(['part']);
  });

  it('rejects when the stream ends without done, or the connection drops', async () => {
    mockFetch(streamResponse(chunkedBody([sse('delta', { text: 'a' })])));
    await expect(streamChatEvents(request, collect().handlers)).rejects.toMatchObject({ code: 'stream_incomplete' });
    mockFetch(streamResponse(chunkedBody([sse('delta', { text: 'a' })], { cut: true })));
    await expect(streamChatEvents(request, collect().handlers)).rejects.toMatchObject({ code: 'stream_interrupted' });
  });

  it('reports a failed fetch as a network error', async () => {
    mockFetch(new TypeError('Failed to fetch'));
    await expect(streamChatEvents(request, collect().handlers)).rejects.toMatchObject({ code: 'network_error' });
  });

  it('passes an abort through as AbortError', async () => {
    const controller = new AbortController();
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_url: string, init: RequestInit) =>
          new Promise((_resolve, reject) => {
            init.signal?.addEventListener('abort', () => {
              reject(new DOMException('aborted', 'AbortError'));
            });
          }),
      ),
    );
    const pending = streamChatEvents(request, collect().handlers, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
