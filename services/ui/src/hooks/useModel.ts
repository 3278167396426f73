import { useEffect, useState } from 'react';

import type { Api } from '../lib/api';
import type { ModelInfo } from '../types/chat';

/** The model answers come from and the options it takes, read once signed in (null until then, or if it
 * cannot be read: the settings then offer every option, as before). */
export function useModel(api: Api, userId: string | null): ModelInfo | null {
  const [model, setModel] = useState<ModelInfo | null>(null);
  useEffect(() => {
    if (userId === null) return;
    let current = true;
    api.models().then(
      (view) => {
        if (current) setModel(view.models[0] ?? null);
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, userId]);
  return model;
}
