import FileText from 'lucide-react/icons/file-text';
import X from 'lucide-react/icons/x';
import { useTranslation } from 'react-i18next';

import type { Chip } from '../../lib/uploads';
import { ErrorMessage } from '../ErrorMessage';
import { IconButton } from '../IconButton';
import styles from './Attachments.module.css';

interface Props {
  chips: readonly Chip[];
  onRemove: (key: string) => void;
}

/** The files attached to the message being written: each with its picture or icon, name, where it stands
 * (with its progress) and a button to remove it. */
export function FileChips({ chips, onRemove }: Props) {
  const { t } = useTranslation();
  if (!chips.length) return null;
  return (
    <ul className={styles.chips} aria-label={t('files.attached')}>
      {chips.map((chip) => (
        <li
          key={chip.key}
          className={`${styles.chip} ${chip.state === 'failed' ? styles.failed : ''}`}
          data-testid="file-chip"
          data-state={chip.state}
        >
          {chip.preview ? (
            <img className={styles.thumb} src={chip.preview} alt="" />
          ) : (
            <FileText className={styles.icon} size={20} aria-hidden="true" />
          )}
          <span className={styles.text}>
            <span className={styles.name} title={chip.name} dir="auto">
              {chip.name}
            </span>
            <span className={styles.state} aria-live="polite">
              <ChipState chip={chip} />
            </span>
          </span>
          <ChipProgress chip={chip} />
          <IconButton
            className={styles.remove}
            label={t('files.remove', { name: chip.name })}
            icon={<X size={14} aria-hidden="true" />}
            onClick={() => {
              onRemove(chip.key);
            }}
          />
        </li>
      ))}
    </ul>
  );
}

function ChipState({ chip }: { chip: Chip }) {
  const { t } = useTranslation();
  switch (chip.state) {
    case 'uploading':
      return <>{t('files.uploading', { percent: Math.round(chip.sent * 100) })}</>;
    case 'uploaded':
      return <>{t('files.queued')}</>;
    case 'extracting':
      return <>{t('files.extracting')}</>;
    case 'embedding':
      return chip.chunksTotal ? (
        <>{t('files.embedding', { done: chip.chunksDone, total: chip.chunksTotal })}</>
      ) : (
        <>{t('files.extracting')}</>
      );
    case 'ready':
      return <>{t('files.ready')}</>;
    case 'failed':
      return (
        <>
          {t('files.failed')}{' '}
          {chip.error ? <ErrorMessage error={chip.error} /> : chip.reason && <span lang="en">{chip.reason}</span>}
        </>
      );
  }
}

/** A bar for the bytes sent, then for the passages indexed (its text says the same, for screen readers). */
function ChipProgress({ chip }: { chip: Chip }) {
  const value =
    chip.state === 'uploading'
      ? chip.sent
      : chip.state === 'embedding' && chip.chunksTotal
        ? chip.chunksDone / chip.chunksTotal
        : null;
  if (value === null) return null;
  return (
    <span className={styles.bar} aria-hidden="true">
      <span className={styles.fill} style={{ inlineSize: `${String(Math.round(value * 100))}%` }} />
    </span>
  );
}
