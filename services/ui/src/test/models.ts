import type { ModelInfo } from '../types/chat';

/** A model as `GET /api/models` lists it; `chat` is the default. */
export function modelInfo(id: string, label: string, reasoning = false): ModelInfo {
  return {
    id,
    label,
    default: id === 'chat',
    provider: 'azure',
    reasoning,
    options: reasoning ? ['max_tokens', 'reasoning_effort'] : ['max_tokens', 'temperature', 'top_p'],
    reasoning_efforts: reasoning ? ['low', 'medium', 'high'] : [],
    default_reasoning_effort: null,
    context_window: 128000,
    max_output_tokens: 4096,
    default_max_tokens: 1024,
    vision: false,
    tools: !reasoning,
  };
}
