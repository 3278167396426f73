import { useContext } from 'react';
import { useTranslation } from 'react-i18next';

import { Citations } from './context';
import styles from './Citations.module.css';

/** A marker of the answer's text (`[1]`, `[1, 3]`) as numbered buttons that open each passage; a number the
 * answer has no citation for stays text. */
export function CitationRefs({ numbers, text }: { numbers: readonly number[]; text: string }) {
  const { t } = useTranslation();
  const citations = useContext(Citations);
  if (!citations) return <>{text}</>;
  return (
    <sup className={styles.refs}>
      {numbers.map((number, index) => {
        const citation = citations.byNumber.get(number);
        return citation ? (
          <button
            key={`${String(number)}-${String(index)}`}
            type="button"
            className={styles.ref}
            aria-label={t('citations.reference', { number, file: citation.file })}
            title={t('citations.reference', { number, file: citation.file })}
            data-testid="citation-ref"
            onClick={() => {
              citations.open(number);
            }}
          >
            {number}
          </button>
        ) : (
          <span key={`${String(number)}-${String(index)}`}>[{number}]</span>
        );
      })}
    </sup>
  );
}
