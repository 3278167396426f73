import { useId, useState } from 'react';

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
        Edit your message
      </label>
      <textarea
        id={fieldId}
        value={text}
        rows={3}
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
          Save and send
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
