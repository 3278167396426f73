import { useId, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { formatDateTime } from '../../i18n/format';
import type { SearchHit, SearchPage } from '../../types/chat';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import styles from './SearchDialog.module.css';
import { Snippet } from './Snippet';
import { useSearch } from './useSearch';

/** As long as the api takes (`search/query.py`). */
const MAX_QUERY_CHARS = 500;

interface Props {
  search: (query: string, signal: AbortSignal) => Promise<SearchPage>;
  /** A hit chosen: its conversation, at its message (null: the title matched). */
  onOpen: (hit: SearchHit) => void;
  onClose: () => void;
}

/**
 * Search over the user's chats (a combobox and its list of hits): typing searches, ↑ ↓ move through the hits
 * (Home and End too), Enter opens the one marked, Escape closes; the focus stays in the box throughout.
 */
export function SearchDialog({ search, onOpen, onClose }: Props) {
  const { t, i18n } = useTranslation();
  const [query, setQuery] = useState('');
  const [marked, setMarked] = useState(0);
  const state = useSearch(query, search);
  const hits = state.kind === 'done' || state.kind === 'searching' ? state.hits : [];
  const listId = useId();
  const optionId = (index: number) => `${listId}-${String(index)}`;
  const at = Math.min(marked, hits.length - 1);

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const move = (index: number) => {
      event.preventDefault();
      if (hits.length) setMarked((index + hits.length) % hits.length);
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home' && hits.length) move(0);
    else if (event.key === 'End' && hits.length) move(hits.length - 1);
    else if (event.key === 'Enter') {
      event.preventDefault();
      const hit = hits[at];
      if (hit) onOpen(hit);
    }
  };

  return (
    <Modal title={t('search.title')} hideTitle onClose={onClose} className={styles.dialog}>
      <input
        className={styles.box}
        type="search"
        role="combobox"
        aria-label={t('search.label')}
        placeholder={t('search.placeholder')}
        aria-expanded={hits.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={at >= 0 ? optionId(at) : undefined}
        maxLength={MAX_QUERY_CHARS}
        autoFocus
        value={query}
        onChange={(event) => {
          setQuery(event.target.value);
          setMarked(0);
        }}
        onKeyDown={onKeyDown}
      />
      <ul id={listId} role="listbox" aria-label={t('search.results')} className={styles.hits}>
        {hits.map((hit, index) => (
          <li
            key={`${hit.conversation_id}-${hit.message_id ?? 'title'}`}
            id={optionId(index)}
            role="option"
            aria-selected={index === at}
            data-kind={hit.message_id ? 'message' : 'title'}
            className={styles.hit}
            onPointerDown={(event) => {
              event.preventDefault(); // the focus stays in the box
            }}
            onClick={() => {
              onOpen(hit);
            }}
            onPointerMove={() => {
              if (index !== at) setMarked(index);
            }}
          >
            <span className={styles.hitTitle} dir="auto">
              {hit.title}
            </span>
            <span className={styles.snippet} dir="auto">
              <Snippet parts={hit.snippet} />
            </span>
            <time className={styles.when} dateTime={hit.at}>
              {formatDateTime(hit.at, i18n.language)}
            </time>
          </li>
        ))}
      </ul>
      <p className={styles.status} role="status">
        {state.kind === 'done' && hits.length === 0 && t('search.none')}
        {state.kind === 'searching' && hits.length === 0 && t('search.searching')}
        {state.kind === 'idle' && t('search.hint')}
      </p>
      {state.kind === 'failed' && (
        <p className={styles.error} role="alert">
          <ErrorMessage error={state.error} />
        </p>
      )}
    </Modal>
  );
}
