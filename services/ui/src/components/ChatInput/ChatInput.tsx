import { useEffect, useRef, useState, type KeyboardEvent, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';

import { loadDraft, saveDraft } from '../../lib/storage';
import styles from './ChatInput.module.css';

interface Props {
  streaming: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
}

/** Enter sends, Shift+Enter breaks the line. The draft survives a reload; it is cleared only once sent. */
export function ChatInput({ streaming, onSend, onStop }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState(loadDraft);
  const field = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    saveDraft(text);
  }, [text]);
  useEffect(() => {
    if (!streaming) field.current?.focus();
  }, [streaming]);

  const submit = (event?: SyntheticEvent) => {
    event?.preventDefault();
    const sending = text;
    if (!sending.trim() || streaming) return;
    setText(''); // it is in the conversation now; put back if it could not be sent
    void onSend(sending).then((sent) => {
      if (!sent) setText((current) => current || sending);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form className={styles.form} onSubmit={submit}>
      <label htmlFor="chat-input" className={styles.visuallyHidden}>
        {t('input.label')}
      </label>
      <textarea
        id="chat-input"
        ref={field}
        className={styles.field}
        value={text}
        rows={1}
        dir="auto"
        placeholder={t('input.placeholder')}
        onChange={(event) => {
          setText(event.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      {streaming ? (
        <button
          type="button"
          className={`${styles.button} ${styles.stop}`}
          onClick={onStop}
          title={t('input.stopHint')}
        >
          {t('input.stop')}
        </button>
      ) : (
        <button type="submit" className={styles.button} disabled={!text.trim()}>
          {t('input.send')}
        </button>
      )}
    </form>
  );
}
