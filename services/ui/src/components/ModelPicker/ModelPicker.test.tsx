import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { fakeApi } from '../../test/fakeApi';
import { modelInfo } from '../../test/models';
import { openSettings } from '../../test/settings';

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

const MODELS = [modelInfo('chat', 'Chat'), modelInfo('mini', 'Chat mini'), modelInfo('thinker', 'Thinker', true)];

describe('the model picker', () => {
  it('is not shown when there is one model, and no send names a model', async () => {
    const api = fakeApi();
    render(<App />);
    await userEvent.setup().type(await screen.findByLabelText('Message'), 'Hi{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    expect(screen.queryByLabelText('Model')).not.toBeInTheDocument();
    expect(api.latest().request).not.toHaveProperty('model');
    act(() => {
      api.latest().delta('Hello.');
      api.latest().finish();
    });
    expect(await screen.findByText('Hello.')).toBeInTheDocument();
    expect(screen.queryByTestId('answer-model')).not.toBeInTheDocument();
  });

  it('sends the pick with the next message and shows the model under each answer', async () => {
    const api = fakeApi();
    api.models = MODELS;
    render(<App />);
    const user = userEvent.setup();
    const picker = await screen.findByLabelText('Model');
    expect(picker).toHaveValue('chat');
    expect(
      within(picker)
        .getAllByRole('option')
        .map((option) => option.textContent),
    ).toEqual(['Chat', 'Chat mini', 'Thinker']);

    await user.selectOptions(picker, 'mini');
    await user.type(screen.getByLabelText('Message'), 'Hi{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    expect(api.latest().request).toMatchObject({ content: 'Hi', model: 'mini' });
    act(() => {
      api.latest().delta('Small hello.');
      api.latest().finish();
    });
    expect(await screen.findByTestId('answer-model')).toHaveTextContent('Chat mini');
    // The conversation now exists: it keeps the pick.
    expect(screen.getByLabelText('Model')).toHaveValue('mini');

    await user.selectOptions(screen.getByLabelText('Model'), 'chat');
    await user.type(screen.getByLabelText('Message'), 'Again{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(2);
    });
    expect(api.latest().request).toMatchObject({ content: 'Again', model: 'chat' });
    act(() => {
      api.latest().finish();
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('answer-model').map((label) => label.textContent)).toEqual(['Chat mini', 'Chat']);
    });
  });

  it('offers the options of the model picked', async () => {
    localStorage.setItem('chat.options.v1', JSON.stringify({ temperature: 0.4, max_tokens: 300 }));
    const api = fakeApi();
    api.models = MODELS;
    render(<App />);
    const user = userEvent.setup();
    const picker = await screen.findByLabelText('Model');
    await openSettings(user);
    expect(screen.getByLabelText('Temperature')).toBeInTheDocument();
    expect(screen.queryByLabelText('Reasoning effort')).not.toBeInTheDocument();

    await user.selectOptions(picker, 'thinker');
    expect(await screen.findByLabelText('Reasoning effort')).toBeInTheDocument();
    expect(screen.queryByLabelText('Temperature')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Message'), 'Think{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    expect(api.latest().request).toEqual({ content: 'Think', options: { max_tokens: 300 }, model: 'thinker' });
  });
});
