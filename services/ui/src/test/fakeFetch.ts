import { vi } from 'vitest';

/** A streamed body made of exactly these byte chunks; `cut` errors the stream after them (a dropped link). */
export function chunkedBody(
  chunks: (string | Uint8Array<ArrayBuffer>)[],
  options: { cut?: boolean } = {},
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  let index = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const chunk = chunks[index++];
      if (chunk === undefined) {
        if (options.cut) controller.error(new TypeError('network error'));
        else controller.close();
        return;
      }
      controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    },
  });
}

/** Splits bytes at every given offset: to put boundaries mid-event and mid-character. */
export function splitBytes(text: string, every: number): Uint8Array<ArrayBuffer>[] {
  const bytes = new TextEncoder().encode(text);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let start = 0; start < bytes.length; start += every) parts.push(bytes.slice(start, start + every));
  return parts;
}

export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export type FetchMock = ReturnType<typeof vi.fn<typeof fetch>>;

export function mockFetch(...responses: (Response | Error)[]): FetchMock {
  const mock = vi.fn<typeof fetch>();
  for (const response of responses) {
    if (response instanceof Error) mock.mockRejectedValueOnce(response);
    else mock.mockResolvedValueOnce(response);
  }
  vi.stubGlobal('fetch', mock);
  return mock;
}

export function streamResponse(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  contentType = 'text/event-stream',
): Response {
  return new Response(body, { status: 200, headers: { 'Content-Type': contentType } });
}

export function errorResponse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}
