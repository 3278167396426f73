import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { withAChat } from '../../test/chats';

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
    await user.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}');
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

  it('switch one MCP server’s tools off and on for the chat, while its tools are on', async () => {
    const { api, user } = await withAChat('', (fake) => {
      fake.toolServers = ['notes', 'tickets'];
    });
    const menu = () => header().getByRole('button', { name: 'Chat actions: Hello' });
    const server = (name: string) => screen.getByRole('menuitemcheckbox', { name: `Tools from ${name}` });
    await user.click(menu());
    expect(await screen.findByRole('menuitemcheckbox', { name: 'Tools from notes' })).toHaveAttribute(
      'aria-checked',
      'true',
    );
    await user.click(server('notes'));
    await waitFor(() => {
      expect([...api.conversations.values()][0]?.summary.mcp_servers_off).toEqual(['notes']);
    });
    await user.click(menu());
    expect(server('notes')).toHaveAttribute('aria-checked', 'false');
    expect(server('tickets')).toHaveAttribute('aria-checked', 'true');
    await user.click(server('notes'));
    await waitFor(() => {
      expect([...api.conversations.values()][0]?.summary.mcp_servers_off).toEqual([]);
    });
    await user.click(menu());
    await user.click(screen.getByRole('menuitemcheckbox', { name: 'Let the assistant use tools' }));
    await user.click(menu());
    expect(screen.queryByRole('menuitemcheckbox', { name: 'Tools from notes' })).not.toBeInTheDocument();
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
