import Check from 'lucide-react/icons/check';
import Copy from 'lucide-react/icons/copy';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { IconButton } from '../IconButton';
import styles from './CopyButton.module.css';

interface Props {
  label: string;
  getText: () => string;
}

/** Copies on a click; a tick for a moment after, and "Copied" said to assistive technology. */
export function CopyButton({ label, getText }: Props) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const timer = window.setTimeout(() => {
      setCopied(false);
    }, 1500);
    return () => {
      window.clearTimeout(timer);
    };
  }, [copied]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(getText());
      setCopied(true);
    } catch {
      // clipboard refused (insecure context or permission): nothing to undo
    }
  };

  return (
    <span className={styles.copy}>
      <IconButton
        label={label}
        icon={copied ? <Check size={16} aria-hidden="true" /> : <Copy size={16} aria-hidden="true" />}
        onClick={() => void copy()}
      />
      <span className={styles.visuallyHidden} role="status">
        {copied ? t('message.copied') : ''}
      </span>
    </span>
  );
}
