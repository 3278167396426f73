import type { TFunction } from 'i18next';

/** Each `?sign_in_error=` code the api's callback ends on (api: auth/oidc/errors.py), with its sentence's key. */
const SENTENCES = {
  denied: 'signInProvider.errors.denied',
  state_mismatch: 'signInProvider.errors.state_mismatch',
  expired: 'signInProvider.errors.expired',
  code_refused: 'signInProvider.errors.code_refused',
  token_invalid: 'signInProvider.errors.token_invalid',
  account_disabled: 'signInProvider.errors.account_disabled',
  provider_unavailable: 'signInProvider.errors.provider_unavailable',
} as const;

export function signInErrorMessage(t: TFunction, code: string): string {
  const key = Object.hasOwn(SENTENCES, code) ? SENTENCES[code as keyof typeof SENTENCES] : undefined;
  return t(key ?? 'signInProvider.errors.unknown');
}
