import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { MenuButton } from './MenuButton';

function setUp() {
  const chosen = vi.fn<(label: string) => void>();
  const items = ['Rename', 'Export', 'Delete'].map((label) => ({
    label,
    onSelect: () => {
      chosen(label);
    },
  }));
  render(
    <>
      <MenuButton label="Chat actions" icon="⋯" items={items} />
      <p>elsewhere</p>
    </>,
  );
  return { user: userEvent.setup(), chosen, button: screen.getByRole('button', { name: 'Chat actions' }) };
}

describe('a menu button', () => {
  it('says it opens a menu, and is closed at first', () => {
    const { button } = setUp();
    expect(button).toHaveAttribute('aria-haspopup', 'menu');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
  });

  it('opens from the keyboard on its first item; arrows, Home and End move, around the ends', async () => {
    const { user, button } = setUp();
    button.focus();
    await user.keyboard('{Enter}');
    expect(button).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByRole('menu', { name: 'Chat actions' })).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Rename' })).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(screen.getByRole('menuitem', { name: 'Delete' })).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole('menuitem', { name: 'Rename' })).toHaveFocus();
    await user.keyboard('{ArrowUp}');
    expect(screen.getByRole('menuitem', { name: 'Delete' })).toHaveFocus();
    await user.keyboard('{Home}');
    expect(screen.getByRole('menuitem', { name: 'Rename' })).toHaveFocus();
    await user.keyboard('{End}');
    expect(screen.getByRole('menuitem', { name: 'Delete' })).toHaveFocus();
  });

  it('opens on its last item with the up arrow', async () => {
    const { user, button } = setUp();
    button.focus();
    await user.keyboard('{ArrowUp}');
    expect(screen.getByRole('menuitem', { name: 'Delete' })).toHaveFocus();
  });

  it('closes on Escape, back onto its button, having done nothing', async () => {
    const { user, button, chosen } = setUp();
    await user.click(button);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(button).toHaveFocus();
    expect(chosen).not.toHaveBeenCalled();
  });

  it('does what is chosen, by Enter or by a click, and closes', async () => {
    const { user, button, chosen } = setUp();
    button.focus();
    await user.keyboard('{Enter}{ArrowDown}{Enter}');
    expect(chosen).toHaveBeenLastCalledWith('Export');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    await user.click(button);
    await user.click(screen.getByRole('menuitem', { name: 'Delete' }));
    expect(chosen).toHaveBeenLastCalledWith('Delete');
  });

  it('closes on a click elsewhere, or when Tab leaves it', async () => {
    const { user, button } = setUp();
    await user.click(button);
    await user.click(screen.getByText('elsewhere'));
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    await user.click(button);
    await user.tab();
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
  });
});
