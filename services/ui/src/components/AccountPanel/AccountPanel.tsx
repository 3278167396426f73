import { useId, useState, type KeyboardEvent, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { ChatApiError } from '../../lib/errors';
import type { ErrorInfo, User } from '../../types/chat';
import { ErrorMessage } from '../ErrorMessage';
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
  const { t } = useTranslation();
  const [form, setForm] = useState<Form>(null);
  if (!user) return null;
  const close = () => {
    setForm(null);
  };
  return (
    <section className={styles.panel} aria-label={t('account.region')}>
      {user.guest ? (
        <>
          <p className={styles.status}>{t('account.guestStatus')}</p>
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
                    {t('account.keepChats')}
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      setForm('sign-in');
                    }}
                  >
                    {t('account.signIn')}
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
            {t('account.signedInAs')} <strong>{user.name ?? user.email}</strong>
          </p>
          {user.admin && (
            <a className={styles.admin} href="/admin">
              {t('account.admin')}
            </a>
          )}
          {form === null && (
            <div className={styles.actions}>
              <button type="button" onClick={() => void onSignOut()}>
                {t('account.signOut')}
              </button>
              <button type="button" onClick={() => void onSignOut(true)}>
                {t('account.signOutEverywhere')}
              </button>
              {!user.sso && (
                <button
                  type="button"
                  onClick={() => {
                    setForm('password');
                  }}
                >
                  {t('account.changePassword')}
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
          title={t('account.registerTitle')}
          submit={t('account.register')}
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
          title={t('account.signInTitle')}
          submit={t('account.signIn')}
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

// Not the api's (a bug in the page): no words of its own, so the page's sentence for it.
const SOMETHING_WRONG: ErrorInfo = { code: 'unknown', message: '' };

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof ChatApiError ? failure.toInfo() : SOMETHING_WRONG);
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
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(() => props.onSubmit(email, password));
  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} aria-label={props.title}>
      <p className={styles.formTitle}>{props.title}</p>
      <label>
        <span>{t('account.email')}</span>
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
        <span>{props.newPassword ? t('account.newPassword') : t('account.password')}</span>
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
          <ErrorMessage error={error} />
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={busy}>
          {props.submit}
        </button>
        <button type="button" onClick={props.onCancel}>
          {t('account.cancel')}
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
  const { t } = useTranslation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const { error, busy, submit } = useSubmit(() => onSubmit(current, next));
  return (
    <form className={styles.form} onSubmit={(event) => void submit(event)} aria-label={t('account.changePassword')}>
      <p className={styles.formTitle}>{t('account.changePasswordTitle')}</p>
      <label>
        <span>{t('account.currentPassword')}</span>
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
        <span>{t('account.nextPassword')}</span>
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
          <ErrorMessage error={error} />
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.primary} disabled={busy}>
          {t('account.changePassword')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('account.cancel')}
        </button>
      </div>
    </form>
  );
}

function DeleteButton({ onClick }: { onClick: () => void }) {
  const { t } = useTranslation();
  return (
    <button type="button" className={styles.danger} onClick={onClick}>
      {t('account.deleteAccount')}
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
  const { t } = useTranslation();
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit(() => onSubmit(needsPassword ? password : undefined));
  const describedBy = useId();
  const whatGoes = guest ? t('account.deleteGuestWarning') : t('account.deleteAccountWarning');
  const cancelOnEscape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onCancel();
  };
  return (
    <form
      className={styles.form}
      onSubmit={(event) => void submit(event)}
      onKeyDown={cancelOnEscape}
      aria-label={t('account.deleteAccount')}
      aria-describedby={describedBy}
    >
      <p className={styles.formTitle}>{t('account.deleteAccount')}</p>
      <p id={describedBy} className={styles.warning}>
        {whatGoes}
      </p>
      {needsPassword && (
        <label>
          <span>{t('account.password')}</span>
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
          <ErrorMessage error={error} />
        </p>
      )}
      <div className={styles.actions}>
        <button type="submit" className={styles.dangerPrimary} disabled={busy} autoFocus={!needsPassword}>
          {t('account.deleteForGood')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('account.cancel')}
        </button>
      </div>
    </form>
  );
}
