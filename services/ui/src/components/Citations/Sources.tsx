import { useTranslation } from 'react-i18next';

import type { CitationPart } from '../../types/files';
import styles from './Citations.module.css';

interface Props {
  citations: readonly CitationPart[];
  onOpen: (number: number) => void;
}

/** The answer's sources, numbered as its text cites them: file and page, each opening its passage. */
export function Sources({ citations, onOpen }: Props) {
  const { t } = useTranslation();
  if (!citations.length) return null;
  return (
    <section className={styles.sources} aria-label={t('citations.sources')} data-testid="sources">
      <h3 className={styles.heading}>{t('citations.sources')}</h3>
      <ol className={styles.list}>
        {citations.map((citation) => (
          <li key={citation.number} value={citation.number}>
            <button
              type="button"
              className={styles.source}
              onClick={() => {
                onOpen(citation.number);
              }}
            >
              <span className={styles.number}>{citation.number}</span>
              <span dir="auto" className={styles.file}>
                {citation.file}
              </span>
              {citation.page !== null && <span>{t('citations.page', { page: citation.page })}</span>}
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
