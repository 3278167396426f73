import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ChatApiError } from '../lib/errors';
import type { FileView } from '../types/files';
import { POLL_MS, useAttachments, type FilesApi } from './useAttachments';

function view(id: string, status: FileView['status'], extra: Partial<FileView> = {}): FileView {
  return {
    id,
    name: `${id}.pdf`,
    media_type: 'application/pdf',
    size_bytes: 10,
    status,
    reason: null,
    pages: 1,
    chunks_done: 0,
    chunks_total: null,
    created_at: '2026-12-06T10:00:00Z',
    ...extra,
  };
}

/** The files routes in memory: each upload says its progress, then answers `uploaded`; `states` is what the
 * list says next, file by file. */
function filesApi(states: Record<string, FileView[]>) {
  const calls = { uploads: [] as string[], lists: 0, removed: [] as string[] };
  const api: FilesApi = {
    upload: (conversationId, file, onProgress) => {
      calls.uploads.push(`${conversationId}:${file.name}`);
      onProgress(0.5);
      if (file.name === 'huge.pdf') {
        return Promise.reject(new ChatApiError('payload_too_large', 'The file is over 20 MB.', 413));
      }
      return Promise.resolve(view(file.name.replace('.pdf', ''), 'uploaded'));
    },
    files: () => {
      calls.lists += 1;
      const items = Object.values(states).map((steps) => (steps.length > 1 ? steps.shift() : steps[0]) as FileView);
      return Promise.resolve({ items });
    },
    removeFile: (_conversationId, fileId) => {
      calls.removed.push(fileId);
      return Promise.resolve(undefined);
    },
  };
  return { api, calls };
}

const pdf = (name: string) => new File(['%PDF-1.4'], name, { type: 'application/pdf' });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the composer’s files', () => {
  it('upload at once into a conversation made once for a new chat, then are asked after until ready', async () => {
    const { api, calls } = filesApi({
      a: [view('a', 'extracting'), view('a', 'embedding', { chunks_done: 1, chunks_total: 2 }), view('a', 'ready')],
      b: [view('b', 'ready')],
    });
    const ensureConversation = vi.fn(() => Promise.resolve('c1'));
    const { result, rerender } = renderHook(
      (props: { conversationId: string | null }) =>
        useAttachments({ api, conversationId: props.conversationId, ensureConversation }),
      { initialProps: { conversationId: null as string | null } },
    );
    await act(() => result.current.add([pdf('a.pdf'), pdf('b.pdf')]));
    rerender({ conversationId: 'c1' }); // the new conversation is now the open one: the files stay
    expect(ensureConversation).toHaveBeenCalledTimes(1);
    expect(calls.uploads).toEqual(['c1:a.pdf', 'c1:b.pdf']);
    expect(result.current.chips.map((chip) => chip.state)).toEqual(['uploaded', 'uploaded']);
    expect(result.current.waiting).toBe(true);

    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    expect(result.current.chips.map((chip) => chip.state)).toEqual(['extracting', 'ready']);
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    expect(result.current.chips[0]).toMatchObject({ state: 'embedding', chunksDone: 1, chunksTotal: 2 });
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    expect(result.current.chips.map((chip) => chip.state)).toEqual(['ready', 'ready']);
    expect(result.current.waiting).toBe(false);
    expect(result.current.ready.attachments.map((file) => file.id)).toEqual(['a', 'b']);

    const asked = calls.lists;
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 5));
    expect(calls.lists).toBe(asked); // all settled: no more polling
  });

  it('shows a refused upload with the server’s error, and removes a file from the server too', async () => {
    const { api, calls } = filesApi({ a: [view('a', 'ready')] });
    const { result } = renderHook(() =>
      useAttachments({ api, conversationId: 'c1', ensureConversation: () => Promise.resolve('c1') }),
    );
    await act(() => result.current.add([pdf('huge.pdf'), pdf('a.pdf')]));
    expect(result.current.chips[0]).toMatchObject({ state: 'failed', error: { code: 'payload_too_large' } });
    const uploaded = result.current.chips[1];
    act(() => {
      result.current.remove(uploaded?.key ?? '');
    });
    expect(calls.removed).toEqual(['a']);
    expect(result.current.chips).toHaveLength(1);
  });

  it('stops polling when unmounted, and drops its files when another conversation opens', async () => {
    const { api, calls } = filesApi({ a: [view('a', 'extracting')] });
    const { result, rerender, unmount } = renderHook(
      (props: { conversationId: string | null }) =>
        useAttachments({ api, conversationId: props.conversationId, ensureConversation: () => Promise.resolve('c1') }),
      { initialProps: { conversationId: 'c1' } },
    );
    await act(() => result.current.add([pdf('a.pdf')]));
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    expect(calls.lists).toBe(1);
    rerender({ conversationId: 'c2' });
    expect(result.current.chips).toEqual([]);
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 3));
    expect(calls.lists).toBe(1);

    rerender({ conversationId: 'c1' });
    await act(() => result.current.add([pdf('a.pdf')]));
    unmount();
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(calls.lists).toBe(1);
  });
});
