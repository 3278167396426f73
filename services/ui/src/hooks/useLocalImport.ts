import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { Api } from '../lib/api';
import { forgetLocalConversations, loadLocalConversations } from '../lib/storage';

/** Conversations this browser kept before they lived on the server: offered once, moved, then forgotten. */
export function useLocalImport(api: Api, onImported: () => void) {
  const { t } = useTranslation();
  const [pending, setPending] = useState(() => loadLocalConversations(t('importOffer.untitled')));
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);

  const importAll = useCallback(async () => {
    setBusy(true);
    setFailed(false);
    try {
      for (const conversation of pending) {
        await api.importMany([conversation]); // one at a time, each well under the body limit
      }
      forgetLocalConversations();
      setPending([]);
      onImported();
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
    }
  }, [api, pending, onImported]);

  const discard = useCallback(() => {
    forgetLocalConversations();
    setPending([]);
  }, []);

  return { count: pending.length, busy, failed, importAll, discard };
}
