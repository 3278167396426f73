import type { ComponentPropsWithoutRef, ReactNode } from 'react';

import styles from './IconButton.module.css';

interface Props extends Omit<ComponentPropsWithoutRef<'button'>, 'aria-label' | 'title' | 'children'> {
  /** Its name for assistive technology, and its tooltip. */
  label: string;
  icon: ReactNode;
}

/** A compact action: an icon, named for screen readers and on hover. */
export function IconButton({ label, icon, className = '', ...props }: Props) {
  return (
    <button type="button" {...props} className={`${styles.icon} ${className}`} aria-label={label} title={label}>
      {icon}
    </button>
  );
}
