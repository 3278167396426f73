import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

import styles from './MessageList.module.css';

/** A new version of one of your messages: saved and sent as a sibling, the old branch kept. Its ids come from
 * `useId`, so two forms open at once never share one. */
export function EditForm({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (text: string) => Promise<void>;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(initial);
  const fieldId = useId();
  return (
    <form
      className={styles.edit}
      onSubmit={(event) => {
        event.preventDefault();
        void onSave(text);
      }}
    >
      <label className={styles.visuallyHidden} htmlFor={fieldId}>
        {t('message.editLabel')}
      </label>
      <textarea
        id={fieldId}
        value={text}
        rows={3}
        dir="auto"
        autoFocus
        onChange={(event) => {
          setText(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
        }}
      />
      <div className={styles.editActions}>
        <button type="submit" disabled={!text.trim()}>
          {t('message.saveAndSend')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('message.cancel')}
        </button>
      </div>
    </form>
  );
}
