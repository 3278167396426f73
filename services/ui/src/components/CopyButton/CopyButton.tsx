import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import styles from './CopyButton.module.css';

interface Props {
  label: string;
  getText: () => string;
}

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
    <button type="button" className={styles.copy} aria-label={label} onClick={() => void copy()}>
      {copied ? t('message.copied') : t('message.copy')}
    </button>
  );
}
