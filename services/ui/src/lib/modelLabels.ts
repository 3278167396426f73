import { createContext } from 'react';

import type { ModelInfo } from '../types/chat';

/** Each model's label by id, for the "model label" under an answer; null when there is one model only (no label
 * shown: there is nothing to tell apart). */
export const ModelLabels = createContext<ReadonlyMap<string, string> | null>(null);

export function labelsOf(models: ModelInfo[]): ReadonlyMap<string, string> | null {
  return models.length < 2 ? null : new Map(models.map((model) => [model.id, model.label]));
}
