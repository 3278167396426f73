import { Suspense, useMemo, useState, type ReactNode } from 'react';

import { citationsOf } from '../../lib/answerParts';
import type { AnswerPart } from '../../types/tools';
import { Citations, type AnswerCitations } from './context';
import { LazyPassageDialog, LazySources } from './lazy';

/** An answer's parts (`children` renders them) with its citations: its markers as reference buttons, its
 * sources listed under it, and the passage of the one opened. */
export function WithCitations({ parts, children }: { parts: readonly AnswerPart[]; children: ReactNode }) {
  const byNumber = useMemo(() => citationsOf(parts), [parts]);
  const [opened, setOpened] = useState<number | null>(null);
  const citations = useMemo<AnswerCitations>(() => ({ byNumber, open: setOpened }), [byNumber]);
  const shown = opened === null ? undefined : byNumber.get(opened);
  // The provider is there from the first part on, so the first citation does not remount the text.
  return (
    <Citations.Provider value={citations}>
      {children}
      <Suspense fallback={null}>
        {byNumber.size > 0 && (
          <LazySources citations={[...byNumber.values()].sort((a, b) => a.number - b.number)} onOpen={setOpened} />
        )}
        {shown && (
          <LazyPassageDialog
            citation={shown}
            onClose={() => {
              setOpened(null);
            }}
          />
        )}
      </Suspense>
    </Citations.Provider>
  );
}
