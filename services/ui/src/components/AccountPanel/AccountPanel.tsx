import { useId, useState, type KeyboardEvent, type SyntheticEvent } from 'react';

import { ChatApiError } from '../../lib/errors';
import type { User } from '../../types/chat';
import styles from './AccountPanel.module.css';

interface Props {
  user: User | null;
  onRegister: (email: string, password: string) => Promise<unknown>;
  onSignIn: (email: string, password: string) => Promise<unknown>;
  onSignOut: (everywhere?: boolean) => Promise<void>;
  onChangePassword: (current: string, next: string) => Promise<unknown>;
  onDeleteAccount: (password?: string) => Promise<void>;
  /** Accounts with a password are offered (off: the organisation's provider is the way in). */
  passwords?: boolean;
}

type Form = 'register' | 'sign-in' | 'password' | 'delete' | null;

/** A guest, told so, with "keep my chats"; or the account, with sign-out (here or everywhere). Either can
 * delete itself, after a confirmation that names what goes. */
export function AccountPanel({
  user,
  onRegister,
  onSignIn,
  onSignOut,
  onChangePassword,
  onDeleteAccount,
  passwords = true,
}: Props) {
  const [form, setForm] = useState<Form>(null);
  if (!user) return null;
  const close = () => {
    setForm(null);
  };
  return (
    <section className={styles.panel} aria-label="Account">
      {user.guest ? (
        <>
          <p className={styles.status}>You are chatting as a guest. Your chats stay in this browser only.</p>
          {form === null && (
            <div className={styles.actions}>
              {passwords && (
                <>
                  <button
                    type="button"
                    className={styles.primary}
                    onClick={() => {
                      setForm('register');
                    }}
                  >
                    Keep my chats
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      setForm('sign-in');
                    }}
                  >
                    Sign in
                  </button>
                </>
              )}
              <DeleteButton
                onClick={() => {
                  setForm('delete');
                }}
              />
            </div>
          )}
        </>
      ) : (
        <>
          <p className={styles.status}>
            Signed in as <strong>{user.name ?? user.email}</strong>
          </p>
          {form === null && (
            <div className={styles.actions}>
              <button type="button" onClick={() => void onSignOut()}>
                Sign out
              </button>
              <button type="button" onClick={() => void onSignOut(true)}>
                Sign out everywhere
              </button>
              {!user.sso && (
                <button
                  type="button"
                  onClick={() => {
                    setForm('password');
                  }}
                >
                  Change password
                </button>
              )}
              <DeleteButton
                onClick={() => {
                  setForm('delete');
                }}
              />
            </div>
          )}
        </>
      )}
      {form === 'register' && (
        <CredentialsForm
          title="Create an account (your chats come with you)"
          submit="Create account"
          newPassword
          onSubmit={async (email, password) => {
            await onRegister(email, password);
            close();
          }}
          onCancel={close}
        />
      )}
      {form === 'sign-in' && (
        <CredentialsForm
          title="Sign in (this guest's chats stay with the guest)"
          submit="Sign in"
          onSubmit={async (email, password) => {
            await onSignIn(email, password);
            close();
          }}
          onCancel={close}
        />
      )}
      {form === 'password' && (
        <PasswordForm
          onSubmit={async (current, next) => {
            await onChangePassword(current, next);
            close();
          }}
          onCancel={close}
        />
      )}
      {form === 'delete' && (
        <DeleteAccountForm
          guest={user.guest}
          needsPassword={!user.guest && !user.sso}
          onSubmit={onDeleteAccount}
          onCancel={close}
        />
      )}
    </section>
  );
}

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof ChatApiError ? failure.message : 'Something went wrong. Retry.');
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

function CredentialsForm(props: {
  title: string;
  submit: string;
  newPassword?: boolean;
  onSubmit: (email: string, password: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(() => props.onSubmit(email, password));
  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} aria-label={props.title}>
      <p className={styles.formTitle}>{props.title}</p>
      <label>
        <span>Email</span>
        <input
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
          }}
        />
      </label>
      <label>
        <span>Password{props.newPassword ? ' (8 characters or more)' : ''}</span>
        <input
          type="password"
          autoComplete={props.newPassword ? 'new-password' : 'current-password'}
          required
          minLength={props.newPassword ? 8 : undefined}
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
          }}
        />
      </label>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={busy}>
          {props.submit}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PasswordForm({
  onSubmit,
  onCancel,
}: {
  onSubmit: (current: string, next: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { error, busy, submit } = useSubmit(() => onSubmit(current, next));
  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} aria-label="Change password">
      <p className={styles.formTitle}>Change password (every other session ends)</p>
      <label>
        <span>Current password</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => {
            setCurrent(e.target.value);
          }}
        />
      </label>
      <label>
        <span>New password (8 characters or more)</span>
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={next}
          onChange={(e) => {
            setNext(e.target.value);
          }}
        />
      </label>
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={busy}>
          Change password
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeleteButton({ onClick }: { onClick: () => void }) {
  return (
    <button type="button" className={styles.danger} onClick={onClick}>
      Delete my account
    </button>
  );
}

/** The confirmation: what goes, said plainly; an account's password (a guest has none). Escape cancels. */
function DeleteAccountForm({
  guest,
  needsPassword,
  onSubmit,
  onCancel,
}: {
  guest: boolean;
  needsPassword: boolean;
  onSubmit: (password?: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(() => onSubmit(needsPassword ? password : undefined));
  const describedBy = useId();
  const whatGoes = guest
    ? 'This guest and everything of it go now and for good: every conversation, its messages and summaries, and ' +
      'its session (this browser starts afresh). Answers being written are stopped. This cannot be undone.'
    : 'Your account and everything of it go now and for good: every conversation, its messages and summaries, ' +
      'and every session (you are signed out on every device). Answers being written are stopped. This cannot ' +
      'be undone.';
  const cancelOnEscape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onCancel();
  };
  return (
    <form
      className={styles.form}
      onSubmit={(event) => void submit(event)}
      onKeyDown={cancelOnEscape}
      aria-label="Delete my account"
      aria-describedby={describedBy}
    >
      <p className={styles.formTitle}>Delete my account</p>
      <p id={describedBy} className={styles.warning}>
        {whatGoes}
      </p>
      {needsPassword && (
        <label>
          <span>Password</span>
          <input
            type="password"
            autoComplete="current-password"
            required
            autoFocus
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
            }}
          />
        </label>
      )}
      {error && (
        <p role="alert" className={styles.error}>
          {error}
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.dangerPrimary} disabled={busy} autoFocus={!needsPassword}>
          Delete everything for good
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
