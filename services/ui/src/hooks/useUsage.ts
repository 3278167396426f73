import { useEffect, useState } from 'react';

import type { Api } from '../lib/api';
import type { UsageView } from '../types/chat';

/** The user's limits, read once signed in and again each time an answer ends (what it used is settled by
 * then). Never before the session exists: a request without one would end the session being started. */
export function useUsage(api: Api, userId: string | null, answering: boolean): UsageView | null {
  const [usage, setUsage] = useState<UsageView | null>(null);
  useEffect(() => {
    if (userId === null || answering) return;
    let current = true;
    api.usage().then(
      (fresh) => {
        if (current) setUsage(fresh);
      },
      () => undefined, // a hint, not a feature: without it the page works as before
    );
    return () => {
      current = false;
    };
  }, [api, userId, answering]);
  return userId === null ? null : usage;
}
