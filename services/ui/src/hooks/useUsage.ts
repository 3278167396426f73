import { useEffect, useState } from 'react';

import type { Api } from '../lib/api';
import type { UsageView } from '../types/chat';

/** The user's limits, read at start and again each time an answer ends (what it used is settled by then). */
export function useUsage(api: Api, answering: boolean): UsageView | null {
  const [usage, setUsage] = useState<UsageView | null>(null);
  useEffect(() => {
    if (answering) return;
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
  }, [api, answering]);
  return usage;
}
