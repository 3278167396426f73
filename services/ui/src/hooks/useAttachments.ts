import { useCallback, useEffect, useLayoutEffect, useReducer, useRef } from 'react';

import type { Api } from '../lib/api';
import { ChatApiError, isAbort } from '../lib/errors';
import { newId } from '../lib/ids';
import { needsPolling, newChip, sendable, uploadsReducer, type Chip } from '../lib/uploads';
import { isImage } from '../types/files';

export type FilesApi = Pick<Api, 'upload' | 'files' | 'removeFile'>;

/** How often the files are asked after while the server reads one. */
export const POLL_MS = 1000;

interface Options {
  api: FilesApi;
  conversationId: string | null;
  /** The open conversation, made first for a new chat (as its first message would). */
  ensureConversation: () => Promise<string | null>;
}

/**
 * The files attached in the composer: each uploads at once (to a new conversation made for it in a new chat),
 * then the files are asked after every second until each is ready or failed. Opening another conversation
 * drops them (uploads under way are aborted).
 */
export function useAttachments({ api, conversationId, ensureConversation }: Options) {
  const [chips, dispatch] = useReducer(uploadsReducer, []);
  const owner = useRef<string | null>(null);
  const uploads = useRef(new Map<string, AbortController>());
  const latest = useRef({ api, chips, ensureConversation });
  useLayoutEffect(() => {
    latest.current = { api, chips, ensureConversation };
  });

  const forget = useCallback((dropped: readonly Chip[]) => {
    for (const chip of dropped) {
      uploads.current.get(chip.key)?.abort();
      uploads.current.delete(chip.key);
      if (chip.preview) URL.revokeObjectURL(chip.preview);
    }
  }, []);

  // Another conversation (or a new chat) opened: these files were not its.
  useEffect(() => {
    if (owner.current === null || owner.current === conversationId) return;
    owner.current = null;
    const dropped = latest.current.chips;
    forget(dropped);
    dispatch({ type: 'cleared', keys: dropped.map((chip) => chip.key) });
  }, [conversationId, forget]);

  useEffect(
    () => () => {
      forget(latest.current.chips);
    },
    [forget],
  );

  const add = useCallback(async (files: readonly File[]) => {
    if (!files.length) return;
    const added = files.map((file) => ({
      file,
      chip: newChip(newId(), file, isImage(file.type) ? URL.createObjectURL(file) : null),
    }));
    dispatch({ type: 'added', chips: added.map(({ chip }) => chip) });
    const id = await latest.current.ensureConversation();
    if (id === null) {
      const error = { code: 'client_error', message: 'The conversation could not be made. Retry.' };
      for (const { chip } of added) dispatch({ type: 'refused', key: chip.key, error });
      return;
    }
    owner.current = id;
    await Promise.all(
      added.map(async ({ file, chip }) => {
        const abort = new AbortController();
        uploads.current.set(chip.key, abort);
        try {
          const onProgress = (sent: number) => {
            dispatch({ type: 'progress', key: chip.key, sent });
          };
          const view = await latest.current.api.upload(id, file, onProgress, abort.signal);
          dispatch({ type: 'uploaded', key: chip.key, file: view });
        } catch (error) {
          if (isAbort(error)) return;
          const info =
            error instanceof ChatApiError
              ? error.toInfo()
              : { code: 'client_error', message: 'Something went wrong in the page. Retry.' };
          dispatch({ type: 'refused', key: chip.key, error: info });
        } finally {
          uploads.current.delete(chip.key);
        }
      }),
    );
  }, []);

  /** The chip goes; a file the server has is deleted there too (an upload under way is aborted). */
  const remove = useCallback(
    (key: string) => {
      const chip = latest.current.chips.find((shown) => shown.key === key);
      if (!chip) return;
      forget([chip]);
      dispatch({ type: 'removed', key });
      if (chip.fileId !== null && owner.current !== null) {
        latest.current.api.removeFile(owner.current, chip.fileId).catch(() => undefined); // gone already
      }
    },
    [forget],
  );

  /** The chips sent with a message go (their files stay in the conversation). */
  const clear = useCallback((keys: readonly string[]) => {
    const { chips: shown } = latest.current;
    for (const chip of shown) if (keys.includes(chip.key) && chip.preview) URL.revokeObjectURL(chip.preview);
    dispatch({ type: 'cleared', keys });
  }, []);

  // While the server reads a file, ask where the files stand every second; stop when all are settled.
  const polling = needsPolling(chips);
  useEffect(() => {
    const id = owner.current;
    if (!polling || id === null) return;
    let stopped = false;
    const timer = window.setInterval(() => {
      latest.current.api.files(id).then(
        (list) => {
          if (!stopped && owner.current === id) dispatch({ type: 'listed', files: list.items });
        },
        () => undefined, // asked again in a second
      );
    }, POLL_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [polling]);

  return {
    chips,
    add,
    remove,
    clear,
    /** What a message would send now. */
    ready: sendable(chips),
    /** A file is still on its way or being read: the message waits for it. */
    waiting: chips.some((chip) => chip.state !== 'ready' && chip.state !== 'failed'),
  };
}

export type Attachments = ReturnType<typeof useAttachments>;
