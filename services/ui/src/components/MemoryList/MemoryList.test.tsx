import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { fakeApi, type FakeApi } from '../../test/fakeApi';

afterEach(() => {
  vi.unstubAllGlobals();
});

const memory = (id: string, content: string) => ({ id, content, created_at: '2026-12-01T10:00:00Z' });

/** The app, with the settings' memories opened. */
async function openMemories(api: FakeApi) {
  render(<App />);
  const user = userEvent.setup();
  await user.click(await screen.findByText('Settings'));
  const before = api.calls.filter((path) => path === '/api/me/memories').length;
  expect(before).toBe(0); // nothing is fetched until the list is opened
  await user.click(screen.getByText('Memories'));
  const list = await screen.findByTestId('memory-list');
  return { user, list: within(list) };
}

describe('the memories in the settings', () => {
  it('lists what the assistant remembers, newest first, and forgets one, moving the focus to the next', async () => {
    const api = fakeApi();
    api.memories = [memory('m1', 'I drink tea'), memory('m2', 'I live in Graz'), memory('m3', 'I am vegetarian')];
    const { user, list } = await openMemories(api);
    expect(await list.findAllByRole('listitem')).toHaveLength(3);
    expect(list.getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'I drink tea',
      'I live in Graz',
      'I am vegetarian',
    ]);
    expect(list.getByText('3 of 50 kept')).toBeInTheDocument();

    await user.click(list.getByRole('button', { name: 'Forget “I live in Graz”' }));
    await waitFor(() => {
      expect(list.getAllByRole('listitem')).toHaveLength(2);
    });
    expect(api.memories.map((item) => item.id)).toEqual(['m1', 'm3']);
    expect(api.calls).toContain('/api/me/memories/m2');
    expect(list.getByRole('button', { name: 'Forget “I am vegetarian”' })).toHaveFocus();
  });

  it('forgets all after a confirmation (Keep keeps them), then says none are kept', async () => {
    const api = fakeApi();
    api.memories = [memory('m1', 'I drink tea'), memory('m2', 'I live in Graz')];
    const { user, list } = await openMemories(api);
    await user.click(await list.findByRole('button', { name: 'Forget all…' }));
    const confirm = list.getByRole('group', { name: 'Forget every memory? This cannot be undone.' });
    expect(within(confirm).getByRole('button', { name: 'Keep' })).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(api.memories).toHaveLength(2);

    await user.click(list.getByRole('button', { name: 'Forget all…' }));
    await user.click(list.getByRole('button', { name: 'Forget all' }));
    expect(await list.findByText(/Nothing remembered yet/)).toHaveFocus();
    expect(api.memories).toEqual([]);
    expect(list.queryByRole('listitem')).not.toBeInTheDocument();
  });

  it('says so when nothing is remembered', async () => {
    const { list } = await openMemories(fakeApi());
    expect(await list.findByText(/Nothing remembered yet/)).toBeInTheDocument();
    expect(list.queryByRole('button', { name: 'Forget all…' })).not.toBeInTheDocument();
  });

  it('shows a failure to forget, and keeps the memory listed; one forgotten elsewhere just goes', async () => {
    const api = fakeApi();
    api.memories = [memory('m1', 'I drink tea'), memory('m2', 'I live in Graz')];
    const { user, list } = await openMemories(api);
    api.failNextWith(503, 'database_unavailable', 'Conversations cannot be read or saved right now.');
    await user.click(await list.findByRole('button', { name: 'Forget “I drink tea”' }));
    expect(await list.findByRole('alert')).toHaveTextContent('Conversations cannot be read or saved right now.');
    expect(list.getAllByRole('listitem')).toHaveLength(2);

    api.memories = []; // forgotten in another tab meanwhile: the server answers 404
    await user.click(list.getByRole('button', { name: 'Forget “I live in Graz”' }));
    await waitFor(() => {
      expect(list.getAllByRole('listitem')).toHaveLength(1);
    });
    expect(list.queryByRole('alert')).not.toBeInTheDocument();
  });
});
