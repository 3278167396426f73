import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ConversationDetail, ConversationSummary } from '../types/chat';
import { followTitle, isFirstAnswer } from './titleFollowUp';

const conversation = (id: string, title: string): ConversationSummary => ({
  id,
  title,
  created_at: '2026-12-06T00:00:00Z',
  updated_at: '2026-12-06T00:00:00Z',
  tools_enabled: true,
  model: null,
});

describe('a new conversation’s title, written after its first answer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is looked for until it has changed, then handed over once', async () => {
    const titles = ['Plan a trip', 'Plan a trip', 'Trip to Lisbon'];
    const read = vi.fn(() => Promise.resolve([conversation('c0', 'other'), conversation('c1', titles.shift() ?? '')]));
    const found = vi.fn();
    followTitle('c1', 'Plan a trip', read, found, [1000, 3000, 7000]);
    await vi.advanceTimersByTimeAsync(999);
    expect(read).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(read).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000); // 3 s after the answer
    expect(read).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(4000); // 7 s after the answer
    expect(found).toHaveBeenCalledExactlyOnceWith(conversation('c1', 'Trip to Lisbon'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('stops after the last look, through a failed read, and when cancelled', async () => {
    const read = vi.fn(() => Promise.reject(new Error('offline')));
    const found = vi.fn();
    followTitle('c1', 'Plan a trip', read, found, [10, 20]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(read).toHaveBeenCalledTimes(2);
    expect(found).not.toHaveBeenCalled();

    const later = vi.fn(() => Promise.resolve([conversation('c1', 'Trip to Lisbon')]));
    const cancel = followTitle('c1', 'Plan a trip', later, found, [10]);
    cancel();
    await vi.advanceTimersByTimeAsync(1000);
    expect(later).not.toHaveBeenCalled();
  });

  it('is due after a conversation’s first answer only', () => {
    const detail = (count: number, earlier: string | null = null) =>
      ({
        ...conversation('c1', 't'),
        messages: { items: Array.from({ length: count }), earlier },
      }) as unknown as ConversationDetail;
    expect(isFirstAnswer(detail(2))).toBe(true);
    expect(isFirstAnswer(detail(4))).toBe(false);
    expect(isFirstAnswer(detail(2, 'cursor'))).toBe(false);
  });
});
