import Trash2 from 'lucide-react/icons/trash-2';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { Api } from '../../lib/api';
import { ChatApiError } from '../../lib/errors';
import type { UserMemory } from '../../types/chat';
import { ErrorMessage } from '../ErrorMessage';
import { IconButton } from '../IconButton';
import styles from './MemoryList.module.css';

export type MemoryApi = Pick<Api, 'memories' | 'forgetMemory' | 'forgetMemories'>;

/** A memory in a button's name: its first words. */
function short(text: string): string {
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

interface Loaded {
  items: UserMemory[];
  limit: number;
}

/**
 * The facts the user asked the assistant to remember (the `remember` tool saves them, after asking), newest
 * first: each can be forgotten, or all at once after a confirmation. After a removal the focus goes to the
 * next memory's button (or the note that none are left), never to the page's start.
 */
export function MemoryList({ api }: { api: MemoryApi }) {
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [failure, setFailure] = useState<ChatApiError | null>(null);
  const [confirming, setConfirming] = useState(false);
  const list = useRef<HTMLDivElement>(null);
  const focusNext = useRef<number | null>(null);

  useEffect(() => {
    let current = true;
    api.memories().then(
      (page) => {
        if (current) setLoaded({ items: page.items, limit: page.limit });
      },
      (error: unknown) => {
        if (current && error instanceof ChatApiError) setFailure(error);
      },
    );
    return () => {
      current = false;
    };
  }, [api]);

  useLayoutEffect(() => {
    const index = focusNext.current;
    focusNext.current = null;
    if (index === null || !list.current) return;
    const buttons = list.current.querySelectorAll<HTMLElement>('[data-forget]');
    (buttons[Math.min(index, buttons.length - 1)] ?? list.current.querySelector<HTMLElement>('[data-empty]'))?.focus();
  }, [loaded]);

  const run = async (change: () => Promise<unknown>, after: (current: Loaded) => Loaded, focusAt: number) => {
    try {
      await change();
    } catch (error) {
      const gone = error instanceof ChatApiError && error.status === 404; // forgotten already (another tab)
      if (!gone) {
        if (error instanceof ChatApiError) setFailure(error);
        return;
      }
    }
    setFailure(null);
    setConfirming(false);
    focusNext.current = focusAt;
    setLoaded((current) => current && after(current));
  };
  const forget = (memory: UserMemory, index: number) =>
    run(
      () => api.forgetMemory(memory.id),
      (current) => ({ ...current, items: current.items.filter((item) => item.id !== memory.id) }),
      index,
    );
  const forgetAll = () => {
    void run(
      () => api.forgetMemories(),
      (current) => ({ ...current, items: [] }),
      0,
    );
  };

  return (
    <div ref={list} className={styles.memories} data-testid="memory-list">
      <p className={styles.explain}>{t('memories.explain')}</p>
      {failure && (
        <p role="alert" className={styles.error}>
          <ErrorMessage error={failure} />
        </p>
      )}
      {!loaded ? (
        !failure && <p className={styles.explain}>{t('memories.loading')}</p>
      ) : loaded.items.length === 0 ? (
        <p className={styles.empty} tabIndex={-1} data-empty>
          {t('memories.empty')}
        </p>
      ) : (
        <>
          <ul className={styles.list}>
            {loaded.items.map((memory, index) => (
              <li key={memory.id} className={styles.item}>
                <span dir="auto" className={styles.content}>
                  {memory.content}
                </span>
                <IconButton
                  label={t('memories.forget', { memory: short(memory.content) })}
                  icon={<Trash2 size={16} aria-hidden="true" />}
                  data-forget
                  onClick={() => void forget(memory, index)}
                />
              </li>
            ))}
          </ul>
          <p className={styles.explain}>{t('memories.count', { count: loaded.items.length, limit: loaded.limit })}</p>
          {confirming ? (
            <div className={styles.confirm} role="group" aria-label={t('memories.confirmForgetAll')}>
              <span>{t('memories.confirmForgetAll')}</span>
              <button type="button" className={styles.danger} onClick={forgetAll}>
                {t('memories.forgetAllConfirmed')}
              </button>
              <button
                type="button"
                autoFocus
                onClick={() => {
                  setConfirming(false);
                }}
              >
                {t('memories.keep')}
              </button>
            </div>
          ) : (
            <button
              type="button"
              className={styles.forgetAll}
              onClick={() => {
                setConfirming(true);
              }}
            >
              {t('memories.forgetAll')}
            </button>
          )}
        </>
      )}
    </div>
  );
}
