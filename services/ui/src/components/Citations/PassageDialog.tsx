import ExternalLink from 'lucide-react/icons/external-link';
import { useContext, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { FileContent } from '../../hooks/useFileContent';
import { openFile } from '../../hooks/useFileUrl';
import type { CitationPart } from '../../types/files';
import { Modal } from '../Modal';
import styles from './Citations.module.css';

/** A citation's passage: its file, page and section, the text the answer drew on, and the file to open. */
export function PassageDialog({ citation, onClose }: { citation: CitationPart; onClose: () => void }) {
  const { t } = useTranslation();
  const load = useContext(FileContent);
  const [failed, setFailed] = useState(false);
  return (
    <Modal title={t('citations.title', { number: citation.number })} onClose={onClose} className={styles.dialog}>
      <p dir="auto" className={styles.fileName}>
        {citation.file}
        {citation.page !== null && <> · {t('citations.page', { page: citation.page })}</>}
      </p>
      {citation.section && (
        <p dir="auto" className={styles.section}>
          {t('citations.section', { section: citation.section })}
        </p>
      )}
      <blockquote className={styles.passage} dir="auto" aria-label={t('citations.passage')} data-testid="passage">
        {citation.text}
      </blockquote>
      {load && (
        <button
          type="button"
          className={styles.open}
          autoFocus
          onClick={() => {
            setFailed(false);
            openFile(load, { id: citation.file_id, name: citation.file }, citation.page).catch(() => {
              setFailed(true);
            });
          }}
        >
          <ExternalLink size={16} aria-hidden="true" />
          {t('files.open', { name: citation.file })}
        </button>
      )}
      {failed && (
        <p role="alert" className={styles.failed}>
          {t('citations.openFailed')}
        </p>
      )}
    </Modal>
  );
}
