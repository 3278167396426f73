import { afterEach, describe, expect, it, vi } from 'vitest';

import { chunkedBody, errorResponse, mockFetch, splitBytes, streamResponse } from '../test/fakeFetch';
import { streamChat } from './streamClient';

const request = { message: 'hi', history: [], options: {} };
const TEXT = 'Ça va? 你好，世界 👋🏽 done';

afterEach(() => vi.unstubAllGlobals());

describe('streamChat (text/plain)', () => {
  it.each([1, 2, 5])('joins UTF-8 characters split every %i bytes', async (every) => {
    mockFetch(streamResponse(chunkedBody(splitBytes(TEXT, every)), 'text/plain; charset=utf-8'));
    const pieces: string[] = [];
    await streamChat(request, (t) => pieces.push(t));
    expect(pieces.join('')).toBe(TEXT);
    expect(pieces.join('')).not.toContain('\ufffd');
    expect(pieces.length).toBeGreaterThan(1); // it streamed, it did not wait for the end
  });

  it('rejects with the envelope on an HTTP error', async () => {
    mockFetch(errorResponse(400, 'content_filtered', 'The content filter blocked this message.'));
    await expect(streamChat(request, () => undefined)).rejects.toMatchObject({ code: 'content_filtered', status: 400 });
  });

  it('rejects when the body is cut short, keeping what arrived', async () => {
    mockFetch(streamResponse(chunkedBody(['partial '], { cut: true })));
    const pieces: string[] = [];
    await expect(streamChat(request, (t) => pieces.push(t))).rejects.toMatchObject({ code: 'stream_interrupted' });
    expect(pieces).toEqual(['partial ']);
  });
});
