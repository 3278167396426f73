import type { ConversationSummary, ModelInfo } from '../types/chat';

/** The key of a conversation's pick; a conversation not yet created picks under `NEW`. */
export const NEW = '';

/** The model a conversation answers with: the user's pick on this page, else the conversation's own, else the
 * default (a model no longer offered falls back to it too). Null while the models are unknown. */
export function modelFor(
  models: ModelInfo[],
  picks: Readonly<Record<string, string>>,
  conversationId: string | null,
  conversation: ConversationSummary | null,
): ModelInfo | null {
  const wanted = picks[conversationId ?? NEW] ?? conversation?.model ?? null;
  return models.find((model) => model.id === wanted) ?? models[0] ?? null;
}

/** The picks once the conversation started with the `NEW` pick has been created as `conversationId`. */
export function adopted(picks: Readonly<Record<string, string>>, conversationId: string): Record<string, string> {
  const { [NEW]: pick, ...others } = picks;
  return pick === undefined ? { ...picks } : { ...others, [conversationId]: pick };
}
