import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

import type { Api } from '../lib/api';
import { ChatApiError } from '../lib/errors';
import { followTitle } from '../lib/titleFollowUp';
import type { ConversationSummary } from '../types/chat';

/** The signed-in user's conversations from the server, newest first, a page at a time. */
export function useConversations(api: Api, userId: string | null) {
  const [list, setList] = useState<{ userId: string | null; items: ConversationSummary[] }>({
    userId: null,
    items: [],
  });
  const items = list.userId === userId ? list.items : []; // another user's list is never shown
  const setItems = useCallback((change: (current: ConversationSummary[]) => ConversationSummary[]) => {
    setList((current) => ({ userId: current.userId, items: change(current.items) }));
  }, []);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<ChatApiError | null>(null);
  const latest = useRef({ api, cursor, userId });
  useLayoutEffect(() => {
    latest.current = { api, cursor, userId };
  });

  const refresh = useCallback(() => {
    const forUser = latest.current.userId;
    return latest.current.api.conversations().then(
      (page) => {
        setList({ userId: forUser, items: page.items });
        setCursor(page.next_cursor);
        setFailure(null);
      },
      (error: unknown) => {
        setFailure(error instanceof ChatApiError ? error : null);
      },
    );
  }, []);

  useEffect(() => {
    if (userId !== null) void refresh();
  }, [userId, refresh]);

  const loadMore = useCallback(async () => {
    if (latest.current.cursor === null) return;
    const page = await latest.current.api.conversations(latest.current.cursor);
    setItems((current) => [...current, ...page.items.filter((item) => !current.some((c) => c.id === item.id))]);
    setCursor(page.next_cursor);
  }, [setItems]);

  /** A conversation that changed (or was made) moves to the top, as the server orders them. */
  const touched = useCallback(
    (conversation: ConversationSummary) => {
      setItems((current) => [conversation, ...current.filter((item) => item.id !== conversation.id)]);
    },
    [setItems],
  );

  /** After a conversation's first answer: the title the server's model writes then, once it is there. */
  const following = useRef(new Set<() => void>());
  useEffect(() => {
    const cancels = following.current;
    return () => {
      for (const cancel of cancels) cancel();
    };
  }, []);
  const awaitTitle = useCallback(
    (id: string, shown: string) => {
      const read = () => latest.current.api.conversations().then((page) => page.items);
      const cancel = followTitle(id, shown, read, (titled) => {
        following.current.delete(cancel);
        setItems((current) => current.map((item) => (item.id === id ? { ...item, title: titled.title } : item)));
      });
      following.current.add(cancel);
    },
    [setItems],
  );

  const rename = useCallback(
    async (id: string, title: string) => {
      const renamed = await latest.current.api.rename(id, title);
      setItems((current) => current.map((item) => (item.id === id ? renamed : item)));
    },
    [setItems],
  );

  const setTools = useCallback(
    async (id: string, enabled: boolean) => {
      const changed = await latest.current.api.setTools(id, enabled);
      setItems((current) => current.map((item) => (item.id === id ? changed : item)));
    },
    [setItems],
  );

  const setServersOff = useCallback(
    async (id: string, off: string[]) => {
      const changed = await latest.current.api.setServersOff(id, off);
      setItems((current) => current.map((item) => (item.id === id ? changed : item)));
    },
    [setItems],
  );

  const remove = useCallback(
    async (id: string) => {
      await latest.current.api.remove(id);
      setItems((current) => current.filter((item) => item.id !== id));
    },
    [setItems],
  );

  return {
    items,
    hasMore: cursor !== null,
    failure,
    refresh,
    loadMore,
    touched,
    awaitTitle,
    rename,
    setTools,
    setServersOff,
    remove,
  };
}
