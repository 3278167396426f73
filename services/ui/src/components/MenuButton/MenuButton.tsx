import {
  useEffect,
  useId,
  useImperativeHandle,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from 'react';

import styles from './MenuButton.module.css';

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  /** An item that is on or off (`menuitemcheckbox`): choosing it turns it the other way. */
  checked?: boolean;
}

interface Props {
  /** The button's accessible name (it shows only `icon`). */
  label: string;
  icon: ReactNode;
  items: MenuItem[];
  className?: string | undefined;
  /** Focuses the button (where the focus goes back to after a form an item opened). */
  ref?: Ref<{ focus: () => void }>;
}

/**
 * The WAI-ARIA menu button: Enter, Space or ↓ opens the menu on its first item, ↑ on its last; ↑ ↓ Home End
 * move; Enter chooses; Escape closes it back onto the button; Tab or a click elsewhere closes it.
 */
function entriesOf(menu: HTMLUListElement | null): HTMLElement[] {
  return [...(menu?.querySelectorAll<HTMLElement>('[role^="menuitem"]') ?? [])];
}

export function MenuButton({ label, icon, items, className = '', ref }: Props) {
  const [open, setOpen] = useState<false | 'first' | 'last'>(false);
  const button = useRef<HTMLButtonElement>(null);
  useImperativeHandle(ref, () => ({ focus: () => button.current?.focus() }), []);
  const menu = useRef<HTMLUListElement>(null);
  const menuId = useId();

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    const all = entriesOf(menu.current);
    (open === 'first' ? all[0] : all.at(-1))?.focus();
    const outside = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => {
      document.removeEventListener('pointerdown', outside);
    };
  }, [open]);

  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(event.key === 'ArrowDown' ? 'first' : 'last');
    }
  };

  const onMenuKey = (event: KeyboardEvent) => {
    const all = entriesOf(menu.current);
    const at = all.indexOf(document.activeElement as HTMLElement);
    const move = (index: number) => {
      event.preventDefault();
      all[(index + all.length) % all.length]?.focus();
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(all.length - 1);
    else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation(); // Escape here closes the menu, nothing else (not Stop)
      close(true);
    } else if (event.key === 'Tab') close(false);
  };

  return (
    <span className={`${styles.wrap} ${className}`}>
      <button
        ref={button}
        type="button"
        className={styles.button}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open !== false}
        aria-controls={open ? menuId : undefined}
        onClick={() => {
          setOpen((shown) => (shown ? false : 'first'));
        }}
        onKeyDown={onButtonKey}
      >
        {icon}
      </button>
      {open && (
        <ul ref={menu} id={menuId} role="menu" aria-label={label} className={styles.menu} onKeyDown={onMenuKey}>
          {items.map((item) => (
            <li key={item.label} role="none">
              <button
                type="button"
                role={item.checked === undefined ? 'menuitem' : 'menuitemcheckbox'}
                aria-checked={item.checked}
                tabIndex={-1}
                className={item.danger ? styles.danger : undefined}
                onClick={() => {
                  close(true);
                  item.onSelect();
                }}
              >
                {item.checked !== undefined && (
                  <span className={styles.check} aria-hidden="true">
                    {item.checked ? '✓' : ''}
                  </span>
                )}
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
