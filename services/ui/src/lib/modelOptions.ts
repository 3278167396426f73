import type { ChatOptions, ModelInfo, OptionName } from '../types/chat';

const EVERY_OPTION: OptionName[] = ['max_tokens', 'temperature', 'top_p'];

/** The options the model takes (unknown model: those of a model that does not reason). */
export function optionsTaken(model: ModelInfo | null): OptionName[] {
  return model?.options ?? EVERY_OPTION;
}

/** The options to send: only those the model takes, so a temperature saved for another model is not sent to a
 * reasoning one (the api would refuse it with a 422). */
export function optionsFor(model: ModelInfo | null, options: ChatOptions): ChatOptions {
  const taken = new Set<string>(optionsTaken(model));
  return Object.fromEntries(Object.entries(options).filter(([name]) => taken.has(name)));
}
