import { useEffect, useState } from 'react';

import type { Api } from '../lib/api';

const NONE: readonly string[] = [];

/** The MCP servers (by name) the user's tools may come from, read once signed in; none until then, or when
 * they cannot be read (a conversation's switch for each is then not offered). */
export function useToolServers(api: Api, userId: string | null): readonly string[] {
  const [servers, setServers] = useState<readonly string[]>(NONE);
  useEffect(() => {
    if (userId === null) return;
    let current = true;
    api.tools().then(
      (list) => {
        if (current) setServers(list.enabled ? list.servers.map((server) => server.name) : NONE);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, userId]);
  return servers;
}
