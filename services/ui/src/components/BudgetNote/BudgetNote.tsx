import type { UsageView } from '../../types/chat';
import styles from './BudgetNote.module.css';

const LOW_SHARE = 0.2;

export function resetsIn(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.max(1, Math.ceil(seconds / 60))} min`;
}

/** Today's token budget, shown near the input once it runs low (under a fifth left), or out. */
export function BudgetNote({ usage }: { usage: UsageView | null }) {
  const tokens = usage?.tokens_per_day;
  if (!tokens || tokens.remaining > tokens.limit * LOW_SHARE) return null;
  const when = `resets in ${resetsIn(tokens.resets_in_s)} (midnight UTC)`;
  return (
    <p className={styles.note} role="status">
      {tokens.remaining === 0
        ? `Today's token budget is used up: ${when}.`
        : `${tokens.remaining.toLocaleString()} of ${tokens.limit.toLocaleString()} tokens left today; ${when}.`}
    </p>
  );
}
