import X from 'lucide-react/icons/x';
import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import { IconButton } from '../IconButton';
import styles from './Modal.module.css';

interface Props {
  title: string;
  /** Shown as the heading, or only named for assistive technology. */
  hideTitle?: boolean;
  onClose: () => void;
  children: ReactNode;
  className?: string | undefined;
}

const FOCUSABLE =
  'a[href], button:not(:disabled), input:not(:disabled), textarea:not(:disabled), select, [tabindex="0"]';

/**
 * A modal dialog: the focus moves into it and stays there (Tab and Shift+Tab cycle), Escape or a click on the
 * backdrop closes it, and the focus goes back to where it was when it opened. Its content focuses what it
 * wants first (`autoFocus`); otherwise the dialog itself takes the focus.
 */
export function Modal({ title, hideTitle = false, onClose, children, className = '' }: Props) {
  const { t } = useTranslation();
  const titleId = useId();
  const dialog = useRef<HTMLDivElement>(null);
  // Where the focus was before: read while rendering, as `autoFocus` inside moves it before any effect runs.
  const [before] = useState(() => (document.activeElement instanceof HTMLElement ? document.activeElement : null));

  useEffect(() => {
    if (!dialog.current?.contains(document.activeElement)) dialog.current?.focus();
    return () => {
      before?.focus();
    };
  }, [before]);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation(); // closes the dialog, nothing else (not Stop)
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !dialog.current) return;
    const all = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = all[0];
    const last = all.at(-1);
    if (!first || !last) return;
    if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div
      className={styles.backdrop}
      onPointerDown={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`${styles.dialog} ${className}`}
        onKeyDown={onKeyDown}
      >
        <header className={styles.header}>
          <h2 id={titleId} className={hideTitle ? styles.visuallyHidden : styles.title}>
            {title}
          </h2>
          <IconButton label={t('dialog.close')} icon={<X size={18} aria-hidden="true" />} onClick={onClose} />
        </header>
        {children}
      </div>
    </div>
  );
}
