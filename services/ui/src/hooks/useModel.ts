import { useEffect, useState } from 'react';

import type { Api } from '../lib/api';
import type { ModelInfo } from '../types/chat';

/** The models answers may come from (the default first) and the options each takes, read once signed in (empty
 * until then, or if they cannot be read: the settings then offer every option, as before). */
export function useModels(api: Api, userId: string | null): ModelInfo[] {
  const [models, setModels] = useState<ModelInfo[]>([]);
  useEffect(() => {
    if (userId === null) return;
    let current = true;
    api.models().then(
      (view) => {
        if (current) setModels(view.models);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, userId]);
  return models;
}
