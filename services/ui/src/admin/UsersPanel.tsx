import { useCallback, useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';

import type { ErrorInfo } from '../types/chat';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';
import { AdminFailure, MoreButton } from './AdminError';
import type { AdminApi, AdminUser } from './adminApi';
import { formatMoment } from './format';

interface Props {
  api: AdminApi;
  /** The operator: they cannot disable themself. */
  selfId: string;
  /** After a user was disabled or enabled (the audit log has a new entry). */
  onChanged?: () => void;
}

const shown = (user: AdminUser) => user.email ?? user.display_name ?? user.id;
/** A password account and a provider's may show the same address: this column tells them apart. */
const signIn = (user: AdminUser) =>
  user.sso ? 'users.viaProvider' : user.guest ? 'users.viaGuest' : 'users.viaPassword';

/** The users, found by email or name; each can be disabled (after a confirmation) and enabled again. */
export function UsersPanel({ api, selfId, onChanged }: Props) {
  const { t, language } = useAdminText();
  const id = useId();
  const [search, setSearch] = useState('');
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [failure, setFailure] = useState<ErrorInfo | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  const load = useCallback(
    (text: string, cursor: string | null = null) => {
      api.users(text, cursor).then(
        (page) => {
          setFailure(null);
          setUsers((before) => (cursor && before ? [...before, ...page.items] : page.items));
          setNext(page.next_cursor);
        },
        (error: unknown) => {
          setFailure(error as ErrorInfo);
        },
      );
    },
    [api],
  );
  useEffect(() => {
    load('');
  }, [load]);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const find = (event: SyntheticEvent) => {
    event.preventDefault();
    load(search);
  };
  const change = (user: AdminUser) => {
    setConfirming(null);
    api.setDisabled(user.id, !user.disabled).then(
      () => {
        const now = new Date().toISOString();
        setUsers(
          (before) =>
            before?.map((each) =>
              each.id === user.id
                ? { ...each, disabled: !user.disabled, disabled_at: user.disabled ? null : now }
                : each,
            ) ?? null,
        );
        onChanged?.();
      },
      (error: unknown) => {
        setFailure(error as ErrorInfo);
      },
    );
  };
  const moment = (value: string | null) => (value ? formatMoment(value, language) : t('users.never'));

  return (
    <section className={styles.section} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('tabs.users')}</h2>
      <form className={styles.filters} role="search" onSubmit={find}>
        <label>
          {t('users.search')}
          <input
            type="search"
            value={search}
            maxLength={254}
            onChange={(event) => {
              setSearch(event.target.value);
            }}
          />
        </label>
        <button type="submit">{t('users.searchButton')}</button>
      </form>
      <AdminFailure error={failure} />
      {users === null ? (
        <p>{t('loading')}</p>
      ) : (
        <div className={styles.scroll}>
          <table className={styles.table}>
            <caption>{t('users.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('users.name')}</th>
                <th scope="col">{t('users.signIn')}</th>
                <th scope="col">{t('users.tier')}</th>
                <th scope="col">{t('users.created')}</th>
                <th scope="col">{t('users.lastSeen')}</th>
                <th scope="col">{t('users.status')}</th>
                <th scope="col">{t('users.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {users.length === 0 && (
                <tr>
                  <td colSpan={7}>{t('noRows')}</td>
                </tr>
              )}
              {users.map((user) => (
                <tr key={user.id}>
                  <th scope="row" dir="auto">
                    {shown(user)} {user.id === selfId && t('users.you')}
                  </th>
                  <td>{t(signIn(user))}</td>
                  <td>{user.tier}</td>
                  <td>{moment(user.created_at)}</td>
                  <td>{moment(user.last_seen_at)}</td>
                  <td>{user.disabled ? t('users.disabled') : t('users.active')}</td>
                  <td>
                    {confirming === user.id ? (
                      <span className={styles.confirm} role="group" aria-label={shown(user)}>
                        <span>
                          {user.disabled
                            ? t('users.confirmEnable', { name: shown(user) })
                            : t('users.confirmDisable', { name: shown(user) })}
                        </span>
                        <button
                          ref={confirmRef}
                          type="button"
                          className={user.disabled ? undefined : styles.danger}
                          onClick={() => {
                            change(user);
                          }}
                        >
                          {t('users.confirm')}
                        </button>
                        <button
                          type="button"
                          onClick={() => {
                            setConfirming(null);
                          }}
                        >
                          {t('users.cancel')}
                        </button>
                      </span>
                    ) : (
                      user.id !== selfId && (
                        <button
                          type="button"
                          aria-label={`${user.disabled ? t('users.enable') : t('users.disable')} ${shown(user)}`}
                          onClick={() => {
                            setConfirming(user.id);
                          }}
                        >
                          {user.disabled ? t('users.enable') : t('users.disable')}
                        </button>
                      )
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <MoreButton
            next={next}
            onMore={(cursor) => {
              load(search, cursor);
            }}
          />
        </div>
      )}
    </section>
  );
}
