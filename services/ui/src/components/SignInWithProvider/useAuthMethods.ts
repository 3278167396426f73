import { useEffect, useState } from 'react';

import type { components } from '../../api/schema';

export type AuthMethods = components['schemas']['AuthMethods'];
export type OidcMethod = components['schemas']['OidcMethod'];

/** The ways in this deployment offers (a public route: no session needed). Null until known, or if it failed:
 * then the page offers what it always did. */
export function useAuthMethods(): AuthMethods | null {
  const [methods, setMethods] = useState<AuthMethods | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    fetch('/api/auth/methods', { signal: controller.signal })
      .then(async (response) => (response.ok ? ((await response.json()) as AuthMethods) : null))
      .then(setMethods)
      .catch(() => undefined);
    return () => {
      controller.abort();
    };
  }, []);
  return methods;
}
