import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';

import { withAChat } from '../../test/chats';

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

const menu = () => within(screen.getByRole('banner')).getByRole('button', { name: 'Chat actions: Hello' });

async function openShare(user: ReturnType<typeof userEvent.setup>) {
  await user.click(menu());
  await user.click(screen.getByRole('menuitem', { name: 'Share…' }));
  return within(await screen.findByRole('dialog', { name: 'Share “Hello”' }));
}

describe('sharing a chat', () => {
  it('makes a link to the branch on screen, shows it to copy, lists it and revokes it', async () => {
    const { api, user } = await withAChat('Hi there.');
    const dialog = await openShare(user);
    expect(await dialog.findByText('No links yet.')).toBeInTheDocument();

    await user.click(dialog.getByRole('button', { name: 'Create link' }));
    const link = await dialog.findByLabelText('Link');
    const [share] = api.shares;
    expect(link).toHaveValue(`${window.location.origin}/s/${share?.token ?? ''}`);
    expect(link).toHaveFocus();
    expect(dialog.getByRole('button', { name: 'Copy link' })).toBeInTheDocument();
    // The branch up to its last message, the answer.
    expect(share?.leaf).toBe(screen.getByTestId('assistant-turn').dataset.id);
    expect(share?.message_count).toBe(2);
    const listed = dialog.getByRole('region', { name: 'Links to this chat' });
    expect(within(listed).getByText(/2 messages/)).toBeInTheDocument();

    await user.click(within(listed).getByRole('button', { name: /^Revoke the link of/ }));
    expect(await dialog.findByText('No links yet.')).toBeInTheDocument();
    expect(api.shares).toEqual([]);
    expect(dialog.queryByLabelText('Link')).not.toBeInTheDocument(); // the link shown was the one revoked
  });

  it('lists the links made before, and closes on Escape back to the menu', async () => {
    const { api, user } = await withAChat('Hi there.');
    let dialog = await openShare(user);
    await user.click(await dialog.findByRole('button', { name: 'Create link' }));
    await dialog.findByLabelText('Link');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(menu()).toHaveFocus();

    dialog = await openShare(user);
    const listed = dialog.getByRole('region', { name: 'Links to this chat' });
    expect(await within(listed).findAllByRole('listitem')).toHaveLength(1);
    expect(dialog.queryByLabelText('Link')).not.toBeInTheDocument(); // shown once only
    expect(api.shares).toHaveLength(1);
  });

  it('says why a link could not be made', async () => {
    const { api, user } = await withAChat('Hi there.');
    const dialog = await openShare(user);
    await dialog.findByText('No links yet.');
    api.failNextWith(403, 'sign_in_to_share', 'A guest may not share: sign in first.');
    await user.click(dialog.getByRole('button', { name: 'Create link' }));
    expect(await dialog.findByRole('alert')).toHaveTextContent('sign in first');
    expect(api.shares).toEqual([]);
  });
});
