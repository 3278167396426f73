import { memo } from 'react';
import { useTranslation } from 'react-i18next';

import { formatElapsed } from '../../i18n/format';
import { toolName } from '../../lib/answerParts';
import type { ShownToolCall, ToolResultPart, ToolStatus } from '../../types/tools';
import { JsonBlock } from './JsonBlock';
import styles from './ToolCard.module.css';

type Waiting = 'preparing' | 'awaitingApproval' | 'running' | 'unfinished';
type CardState = Waiting | ToolStatus;

const LABELS = {
  preparing: 'tools.state.preparing',
  awaitingApproval: 'tools.state.awaitingApproval',
  running: 'tools.state.running',
  unfinished: 'tools.state.unfinished',
  ok: 'tools.state.ok',
  error: 'tools.state.error',
  denied: 'tools.state.denied',
  cancelled: 'tools.state.cancelled',
  timeout: 'tools.state.timeout',
} as const satisfies Record<CardState, string>;

const BUSY: ReadonlySet<CardState> = new Set(['preparing', 'awaitingApproval', 'running']);

/** Where a call stands: its arguments still arriving, waiting for the user, running, or its result's status. A
 * call with no result in an answer that has ended (stopped, failed, cut off) has none to wait for. */
function stateOf(call: ShownToolCall | null, result: ToolResultPart | null, underway: boolean): CardState {
  if (result) return result.status;
  if (!underway) return 'unfinished';
  if (call?.complete === false) return 'preparing';
  if (call?.approval) return 'awaitingApproval';
  return 'running';
}

interface Props {
  call: ShownToolCall | null;
  result: ToolResultPart | null;
  /** The answer is still being written (a call without its result is running). */
  underway: boolean;
}

/** One tool call in an answer, live or saved alike: the tool, its arguments (as they stream, then
 * pretty-printed), where it stands, its run time, and its result folded (an error's message in sight). */
export const ToolCard = memo(function ToolCard({ call, result, underway }: Props) {
  const { t, i18n } = useTranslation();
  const { name, source } = toolName(call?.tool ?? result?.tool ?? '');
  const state = stateOf(call, result, underway);
  const busy = BUSY.has(state);
  return (
    <div
      role="group"
      aria-label={t('tools.card', { name })}
      aria-busy={busy}
      className={styles.card}
      data-testid="tool-card"
      data-state={state}
    >
      <div className={styles.head}>
        <span className={styles.name}>{name}</span>
        {source && <span className={styles.source}>{source === 'builtin' ? t('tools.builtIn') : source}</span>}
        <span className={`${styles.state} ${styles[state] ?? ''}`}>
          {busy && <span className={styles.spinner} aria-hidden="true" />}
          {t(LABELS[state])}
        </span>
        {result && <span className={styles.duration}>{formatElapsed(result.duration_ms, i18n.language)}</span>}
      </div>
      {call && (
        <div className={styles.section}>
          <span className={styles.label}>{t('tools.arguments')}</span>
          <JsonBlock text={call.arguments} asIs={call.complete === false} />
        </div>
      )}
      {result?.status === 'error' ? (
        <p className={styles.error}>{result.preview}</p>
      ) : (
        result?.preview && (
          <details className={styles.result}>
            <summary>{t('tools.result')}</summary>
            <JsonBlock text={result.preview} />
          </details>
        )
      )}
    </div>
  );
});
