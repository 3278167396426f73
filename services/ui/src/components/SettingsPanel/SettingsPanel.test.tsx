import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { fakeApi } from '../../test/fakeApi';
import type { ModelInfo } from '../../types/chat';
import { openSettings } from '../../test/settings';

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

const REASONING: ModelInfo = {
  id: 'o4-mini',
  label: 'o4-mini',
  default: true,
  provider: 'azure',
  reasoning: true,
  options: ['max_tokens', 'reasoning_effort'],
  reasoning_efforts: ['low', 'medium', 'high'],
  default_reasoning_effort: 'medium',
  context_window: 200000,
  max_output_tokens: 4096,
  default_max_tokens: 1024,
  vision: false,
  tools: true,
};

describe('the settings follow the model', () => {
  it('offers temperature and top p for a model that does not reason, and no reasoning effort', async () => {
    fakeApi();
    render(<App />);
    await screen.findByLabelText('Message');
    await openSettings(userEvent.setup());
    expect(screen.getByLabelText('Temperature')).toBeInTheDocument();
    expect(screen.getByLabelText('Top p')).toBeInTheDocument();
    expect(screen.queryByLabelText('Reasoning effort')).not.toBeInTheDocument();
  });

  it('offers a reasoning effort instead for a reasoning model, and never sends a saved temperature', async () => {
    localStorage.setItem('chat.options.v1', JSON.stringify({ temperature: 0.4, top_p: 0.9, max_tokens: 300 }));
    const api = fakeApi();
    api.model = REASONING;
    render(<App />);
    const user = userEvent.setup();
    await openSettings(user);
    const effort = await screen.findByLabelText('Reasoning effort');
    expect(screen.queryByLabelText('Temperature')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Top p')).not.toBeInTheDocument();
    expect(screen.getByRole('option', { name: 'default (medium)' })).toBeInTheDocument();

    await user.selectOptions(effort, 'high');
    await user.type(screen.getByLabelText('Message'), 'Think{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    expect(api.latest().request).toEqual({ content: 'Think', options: { max_tokens: 300, reasoning_effort: 'high' } });
  });
});

describe('a reasoning answer', () => {
  it('says how many of its tokens were reasoning, as the usage event comes', async () => {
    const api = fakeApi();
    api.model = REASONING;
    render(<App />);
    await userEvent.setup().type(await screen.findByLabelText('Message'), 'Think{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    const answer = api.latest();
    act(() => {
      answer.delta('Done.');
      answer.send('usage', { prompt_tokens: 10, completion_tokens: 37, total_tokens: 47, reasoning_tokens: 32 });
    });
    // As the usage event says it (a saved answer keeps its prompt and answer tokens only).
    expect(await screen.findByText('47 tokens, 32 reasoning')).toBeInTheDocument();
  });
});
