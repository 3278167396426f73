import { useTranslation } from 'react-i18next';

import { formatDuration } from '../../i18n/format';
import type { UsageView } from '../../types/chat';
import styles from './BudgetNote.module.css';

const LOW_SHARE = 0.2;

/** Today's token budget, shown near the input once it runs low (under a fifth left), or out; with the wait
 * until it renews (at midnight UTC). */
export function BudgetNote({ usage }: { usage: UsageView | null }) {
  const { t, i18n } = useTranslation();
  const tokens = usage?.tokens_per_day;
  if (!tokens || tokens.remaining > tokens.limit * LOW_SHARE) return null;
  const when = { duration: formatDuration(tokens.resets_in_s, i18n.language) };
  return (
    <p className={styles.note} role="status">
      {tokens.remaining === 0
        ? t('budget.usedUp', when)
        : t('budget.low', { ...when, remaining: tokens.remaining, limit: tokens.limit })}
    </p>
  );
}
