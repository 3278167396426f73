import { vi } from 'vitest';

import { errorResponse, sse } from './fakeFetch';

/** One streaming answer the test drives by hand, aborting as a real fetch does when its signal fires. */
export class ControlledAnswer {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  readonly request: { message: string; history: unknown[]; options: unknown };
  readonly response: Response;

  constructor(init: RequestInit) {
    this.request = JSON.parse(init.body as string) as ControlledAnswer['request'];
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
      },
    });
    init.signal?.addEventListener('abort', () => {
      this.controller.error(new DOMException('aborted', 'AbortError'));
    });
    this.response = new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    this.send('start', { request_id: 'r', model: 'chat' });
  }

  send(event: string, data: unknown): void {
    this.controller.enqueue(this.encoder.encode(sse(event, data)));
  }

  delta(text: string): void {
    this.send('delta', { text });
  }

  finish(reason = 'stop', usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }): void {
    this.send('usage', usage);
    this.send('done', { finish_reason: reason });
    this.controller.close();
  }
}

/** Replaces fetch: each call gets the next scripted reply (an answer to drive, or an error response). */
export function fakeServer() {
  const answers: ControlledAnswer[] = [];
  const queued: (Response | 'answer')[] = [];
  const fetchMock = vi.fn((_url: string, init: RequestInit) => {
    const next = queued.shift() ?? 'answer';
    if (next !== 'answer') return Promise.resolve(next);
    const answer = new ControlledAnswer(init);
    answers.push(answer);
    return Promise.resolve(answer.response);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    fetchMock,
    answers,
    latest: () => {
      const answer = answers.at(-1);
      if (!answer) throw new Error('no request was made');
      return answer;
    },
    failNextWith: (status: number, code: string, message: string) => {
      queued.push(errorResponse(status, code, message));
    },
  };
}
