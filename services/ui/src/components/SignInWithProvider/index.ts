export { ProviderSignIn, SignInError, SignInPage, startUrl } from './SignInWithProvider';
export { useAuthMethods, type AuthMethods, type OidcMethod } from './useAuthMethods';
