import { describe, expect, it } from 'vitest';

import { modelInfo } from '../test/models';
import type { ConversationSummary } from '../types/chat';
import { adopted, modelFor, NEW } from './modelChoice';
import { optionsFor } from './modelOptions';

const models = [modelInfo('chat', 'CHAT'), modelInfo('mini', 'MINI'), modelInfo('thinker', 'THINKER', true)];
const conversation = (id: string, picked: string | null): ConversationSummary => ({
  id,
  title: 't',
  created_at: '2026-12-06T00:00:00Z',
  updated_at: '2026-12-06T00:00:00Z',
  tools_enabled: true,
  model: picked,
});

describe('the model a conversation answers with', () => {
  it('is the pick on this page, else the conversation’s, else the default', () => {
    expect(modelFor(models, {}, null, null)?.id).toBe('chat');
    expect(modelFor(models, {}, 'c1', conversation('c1', 'mini'))?.id).toBe('mini');
    expect(modelFor(models, { c1: 'thinker' }, 'c1', conversation('c1', 'mini'))?.id).toBe('thinker');
    expect(modelFor(models, { [NEW]: 'mini' }, null, null)?.id).toBe('mini');
  });

  it('falls back to the default for a model no longer offered, and is null before the list is read', () => {
    expect(modelFor(models, {}, 'c1', conversation('c1', 'gone'))?.id).toBe('chat');
    expect(modelFor([], {}, null, null)).toBeNull();
  });

  it('keeps a new conversation’s pick once the conversation exists', () => {
    expect(adopted({ [NEW]: 'mini', c0: 'chat' }, 'c1')).toEqual({ c0: 'chat', c1: 'mini' });
    expect(adopted({ c0: 'chat' }, 'c1')).toEqual({ c0: 'chat' });
  });

  it('offers only the options of the chosen model', () => {
    const options = { temperature: 0.4, reasoning_effort: 'high' as const, max_tokens: 200 };
    expect(optionsFor(models[2] ?? null, options)).toEqual({ reasoning_effort: 'high', max_tokens: 200 });
    expect(optionsFor(models[1] ?? null, options)).toEqual({ temperature: 0.4, max_tokens: 200 });
  });
});
