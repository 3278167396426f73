import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { expect } from 'vitest';

import { App } from '../App';
import { fakeApi, type FakeApi } from './fakeApi';

/** The app on a fresh fake api, with a chat titled "Hello" open and its answer (`reply`) written. */
export async function withAChat(
  reply = '',
  prepare: (api: FakeApi) => void = () => undefined,
): Promise<{ api: FakeApi; user: ReturnType<typeof userEvent.setup> }> {
  const api = fakeApi();
  prepare(api);
  render(<App />);
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('Message'), 'Hello{Enter}');
  await waitFor(() => {
    expect(api.answers).toHaveLength(1);
  });
  act(() => {
    if (reply) api.latest().delta(reply);
    api.latest().finish();
  });
  await screen.findByRole('heading', { name: 'Hello' });
  return { api, user };
}
