import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import styles from './SignInWithProvider.module.css';
import { signInErrorMessage } from './messages';
import type { OidcMethod } from './useAuthMethods';

/** Where the provider's sign-in starts, coming back to the page the user is on. */
export function startUrl(oidc: OidcMethod, path = window.location.pathname): string {
  const back = path === '/' ? '' : `?return_to=${encodeURIComponent(path)}`;
  return `${oidc.start}${back}`;
}

/** "Sign in with <provider>": a link, since the sign-in is a round trip through the provider's own pages. */
export function ProviderSignIn({ oidc, primary = false }: { oidc: OidcMethod; primary?: boolean }) {
  const { t } = useTranslation();
  return (
    <a className={`${styles.button} ${primary ? styles.primary : ''}`} href={startUrl(oidc)}>
      {t('signInProvider.withProvider', { name: oidc.name })}
    </a>
  );
}

/** The first page when this deployment has no guests: the only way in is the organisation's provider (or a
 * password, when that is on too: the account panel is then offered by the caller). */
export function SignInPage({ oidc }: { oidc: OidcMethod | null }) {
  const { t } = useTranslation();
  return (
    <section className={styles.page} aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signInProvider.pageTitle')}</h1>
      <SignInError />
      {oidc ? <ProviderSignIn oidc={oidc} primary /> : <p>{t('signInProvider.noWayIn')}</p>}
    </section>
  );
}

/** Says why a sign-in with the provider failed (`?sign_in_error=<code>`), then takes the code out of the
 * address so a reload does not say it again. */
export function SignInError() {
  const { t } = useTranslation();
  const [code, setCode] = useState(() => {
    const params = new URLSearchParams(window.location.search);
    const found = params.get('sign_in_error');
    if (found !== null) {
      params.delete('sign_in_error');
      const rest = params.toString();
      window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}`);
    }
    return found;
  });
  if (code === null) return null;
  return (
    <p role="alert" className={styles.error}>
      {signInErrorMessage(t, code)}{' '}
      <button
        type="button"
        onClick={() => {
          setCode(null);
        }}
      >
        {t('signInProvider.dismiss')}
      </button>
    </p>
  );
}
