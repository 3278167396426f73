import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { fakeApi, type FakeApi } from '../../test/fakeApi';

// jsdom has no object URLs: the download itself is the browser's
const objectUrls = vi.fn(() => 'blob:chat');
beforeEach(() => {
  objectUrls.mockClear();
  URL.createObjectURL = objectUrls;
  URL.revokeObjectURL = vi.fn();
});

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

/** A chat titled "Hello", open, with its answer written. */
async function withAChat(): Promise<{ api: FakeApi; user: ReturnType<typeof userEvent.setup> }> {
  const api = fakeApi();
  render(<App />);
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText('Message'), 'Hello{Enter}');
  await waitFor(() => {
    expect(api.answers).toHaveLength(1);
  });
  act(() => {
    api.latest().finish();
  });
  await screen.findByRole('heading', { name: 'Hello' });
  return { api, user };
}

const header = () => within(screen.getByRole('banner'));
const list = () => within(screen.getByRole('navigation', { name: 'Conversations' }));

describe("a chat's actions", () => {
  it('are one menu in the header, and one on the chat in the list', async () => {
    await withAChat();
    expect(header().getByRole('button', { name: 'Chat actions: Hello' })).toBeInTheDocument();
    expect(list().getByRole('button', { name: 'Chat actions: Hello' })).toBeInTheDocument();
    expect(header().queryByRole('button', { name: /export/i })).not.toBeInTheDocument();
  });

  it('rename the chat in place, everywhere it shows, and give the focus back to the menu', async () => {
    const { api, user } = await withAChat();
    await user.click(header().getByRole('button', { name: 'Chat actions: Hello' }));
    await user.click(screen.getByRole('menuitem', { name: 'Rename…' }));
    const field = header().getByLabelText('New name');
    expect(field).toHaveFocus();
    await user.clear(field);
    await user.type(field, 'Greetings{Enter}');
    expect(await header().findByRole('heading', { name: 'Greetings' })).toBeInTheDocument();
    expect(list().getByRole('button', { name: 'Greetings' })).toBeInTheDocument();
    expect([...api.conversations.values()][0]?.summary.title).toBe('Greetings');
    expect(header().getByRole('button', { name: 'Chat actions: Greetings' })).toHaveFocus();
  });

  it('export the chat as Markdown or JSON', async () => {
    const { api, user } = await withAChat();
    await user.click(header().getByRole('button', { name: 'Chat actions: Hello' }));
    await user.click(screen.getByRole('menuitem', { name: 'Export as JSON' }));
    await waitFor(() => {
      expect(objectUrls).toHaveBeenCalledTimes(1);
    });
    const [url] = api.fetch.mock.calls.find(([called]) => called.includes('/export')) ?? [];
    expect(url).toMatch(/\/export\?format=json$/);
  });

  it('delete the chat only once confirmed; Keep keeps it', async () => {
    const { api, user } = await withAChat();
    const menu = () => header().getByRole('button', { name: 'Chat actions: Hello' });
    await user.click(menu());
    await user.click(screen.getByRole('menuitem', { name: 'Delete…' }));
    const confirm = header().getByRole('group', { name: 'Delete Hello?' });
    await user.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(api.conversations.size).toBe(1);
    expect(menu()).toHaveFocus();

    await user.click(menu());
    await user.click(screen.getByRole('menuitem', { name: 'Delete…' }));
    await user.click(within(header().getByRole('group')).getByRole('button', { name: 'Delete' }));
    await waitFor(() => {
      expect(api.conversations.size).toBe(0);
    });
    expect(await header().findByRole('heading', { name: 'New chat' })).toBeInTheDocument();
    expect(list().queryByRole('button', { name: 'Hello' })).not.toBeInTheDocument();
  });

  it('turn the chat’s tools off and on: a checkbox item, its state from the server, sent as a PATCH', async () => {
    const { api, user } = await withAChat();
    const menu = () => header().getByRole('button', { name: 'Chat actions: Hello' });
    await user.click(menu());
    const tools = () => screen.getByRole('menuitemcheckbox', { name: 'Let the assistant use tools' });
    expect(tools()).toHaveAttribute('aria-checked', 'true');
    await user.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}');
    expect(tools()).toHaveFocus(); // in the arrow keys' path like any item
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(api.toolSwitches).toEqual([false]);
    });
    expect([...api.conversations.values()][0]?.summary.tools_enabled).toBe(false);
    // Both menus, the header's and the list's, say so.
    await user.click(list().getByRole('button', { name: 'Chat actions: Hello' }));
    expect(tools()).toHaveAttribute('aria-checked', 'false');
    await user.click(tools());
    await waitFor(() => {
      expect(api.toolSwitches).toEqual([false, true]);
    });
    await user.click(menu());
    expect(tools()).toHaveAttribute('aria-checked', 'true');
  });

  it('say so when the switch could not be saved', async () => {
    const { api, user } = await withAChat();
    await user.click(header().getByRole('button', { name: 'Chat actions: Hello' }));
    api.failNextWith(503, 'database_unavailable', 'Conversations cannot be read or saved right now.');
    await user.click(screen.getByRole('menuitemcheckbox', { name: 'Let the assistant use tools' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Conversations cannot be read or saved right now.');
    await user.click(header().getByRole('button', { name: 'Chat actions: Hello' }));
    expect(screen.getByRole('menuitemcheckbox', { name: 'Let the assistant use tools' })).toHaveAttribute(
      'aria-checked',
      'true',
    );
  });
});
