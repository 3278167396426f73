/** What each `?sign_in_error=` code the api's callback ends on means to the user (api: auth/oidc/errors.py). */
export const SIGN_IN_ERRORS: Record<string, string> = {
  denied: 'Sign-in was cancelled at the provider.',
  state_mismatch: 'This sign-in was not started in this browser, or was finished already. Start again.',
  expired: 'The sign-in took too long. Start again.',
  code_refused: 'The provider did not confirm the sign-in. Start again.',
  token_invalid: "The provider's answer failed a security check, so you were not signed in.",
  account_disabled: 'This account is disabled.',
  provider_unavailable: 'The sign-in provider cannot be reached right now. Try again in a minute.',
};
const UNKNOWN = 'Sign-in did not finish. Start again.';

export function signInErrorMessage(code: string): string {
  return SIGN_IN_ERRORS[code] ?? UNKNOWN;
}
