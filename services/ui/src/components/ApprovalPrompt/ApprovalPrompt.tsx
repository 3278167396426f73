import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { formatClock } from '../../i18n/format';
import { toolName } from '../../lib/answerParts';
import type { ApprovalDecision, ShownToolCall } from '../../types/tools';
import { JsonBlock } from '../ToolCard';
import styles from './ApprovalPrompt.module.css';

interface Props {
  /** A call waiting for the user (its `approval` set). Give each call its own prompt: `key={call.call_id}`. */
  call: ShownToolCall;
  onDecide: (decision: ApprovalDecision) => Promise<void>;
}

/** Seconds until `expiresAt`, ticking each second; null for a time that does not parse. */
function useSecondsLeft(expiresAt: string | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      window.clearInterval(timer);
    };
  }, []);
  const deadline = expiresAt ? Date.parse(expiresAt) : NaN;
  return Number.isNaN(deadline) ? null : Math.max(0, (deadline - now) / 1000);
}

/**
 * A tool that acts asks first: the tool, its arguments and the time left to decide, announced as an alert
 * dialog, with the focus moved to it. Deny comes first and takes the focus, so an Enter meant for something
 * else never lets a tool act; Escape denies too. Allowing is a deliberate choice: Tab to it, or click.
 */
export function ApprovalPrompt({ call, onDecide }: Props) {
  const { t } = useTranslation();
  const titleId = useId();
  const bodyId = useId();
  const first = useRef<HTMLButtonElement>(null);
  const [returnTo] = useState(() => document.activeElement); // read before the focus moves here
  const [busy, setBusy] = useState(false);
  const secondsLeft = useSecondsLeft(call.approval?.expires_at);

  useEffect(() => {
    first.current?.focus();
    return () => {
      // The prompt has gone with the focus in it: give it back to where it was.
      const lost = document.activeElement === null || document.activeElement === document.body;
      if (lost && returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
    };
  }, [returnTo]);

  const decide = (decision: ApprovalDecision) => {
    if (busy) return; // one decision at a time (aria-disabled keeps the focus where it is)
    setBusy(true);
    void onDecide(decision).finally(() => {
      setBusy(false);
    });
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation(); // Escape here denies the tool; it does not stop the answer
    decide('deny');
  };
  const { name, source } = toolName(call.tool);
  const buttons: { decision: ApprovalDecision; label: string }[] = [
    { decision: 'deny', label: t('approval.deny') },
    { decision: 'allow_once', label: t('approval.allowOnce') },
    { decision: 'allow_conversation', label: t('approval.allowConversation') },
  ];

  return (
    <div
      role="alertdialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      className={styles.prompt}
      onKeyDown={onKeyDown}
      data-testid="approval-prompt"
    >
      <h2 id={titleId} className={styles.title}>
        {source && source !== 'builtin'
          ? t('approval.titleFromServer', { tool: name, server: source })
          : t('approval.title', { tool: name })}
      </h2>
      <div id={bodyId}>
        <p className={styles.explain}>{t('approval.explain')}</p>
        <JsonBlock text={call.arguments} />
        {secondsLeft !== null && (
          <p className={styles.time}>
            {secondsLeft > 0 ? (
              <time dateTime={call.approval?.expires_at}>
                {t('approval.timeLeft', { time: formatClock(secondsLeft) })}
              </time>
            ) : (
              t('approval.expired')
            )}
          </p>
        )}
      </div>
      <div className={styles.buttons}>
        {buttons.map(({ decision, label }, index) => (
          <button
            key={decision}
            ref={index === 0 ? first : undefined}
            type="button"
            className={decision === 'deny' ? styles.deny : styles.allow}
            aria-disabled={busy}
            onClick={() => {
              decide(decision);
            }}
          >
            {label}
          </button>
        ))}
      </div>
    </div>
  );
}
