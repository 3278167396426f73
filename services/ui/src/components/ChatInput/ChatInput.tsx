import Paperclip from 'lucide-react/icons/paperclip';
import {
  useEffect,
  useRef,
  useState,
  type ClipboardEvent,
  type KeyboardEvent,
  type ReactNode,
  type SyntheticEvent,
} from 'react';
import { useTranslation } from 'react-i18next';

import { loadDraft, saveDraft } from '../../lib/storage';
import { ACCEPTED_FILES } from '../../types/files';
import { IconButton } from '../IconButton';
import styles from './ChatInput.module.css';

/** The composer's files: shown above the field, added by the paperclip or by pasting. */
export interface ComposerFiles {
  /** The chips (see `Attachments/FileChips`). */
  chips: ReactNode;
  onAdd: (files: File[]) => void;
  /** A file is still on its way or being read: Send waits for it. */
  waiting: boolean;
}

interface Props {
  streaming: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  files?: ComposerFiles | undefined;
}

/** The files a paste carries (an image copied, a file copied in a file manager). */
export function pastedFiles(event: Pick<ClipboardEvent, 'clipboardData'>): File[] {
  return [...event.clipboardData.files];
}

/** Enter sends, Shift+Enter breaks the line. The draft survives a reload; it is cleared only once sent. */
export function ChatInput({ streaming, onSend, onStop, files }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState(loadDraft);
  const field = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const waiting = files?.waiting ?? false;

  useEffect(() => {
    saveDraft(text);
  }, [text]);
  useEffect(() => {
    if (!streaming) field.current?.focus();
  }, [streaming]);

  const submit = (event?: SyntheticEvent) => {
    event?.preventDefault();
    const sending = text;
    if (!sending.trim() || streaming || waiting) return;
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

  const onPaste = (event: ClipboardEvent<HTMLTextAreaElement>) => {
    if (!files) return;
    const pasted = pastedFiles(event);
    if (!pasted.length) return;
    // A picture copied from a page may come with its text or address too: the file is what was meant.
    event.preventDefault();
    files.onAdd(pasted);
  };

  return (
    <form className={styles.form} onSubmit={submit}>
      {files?.chips}
      <div className={styles.row}>
        {files && (
          <>
            <IconButton
              className={styles.attach}
              label={t('files.attach')}
              icon={<Paperclip size={18} aria-hidden="true" />}
              onClick={() => picker.current?.click()}
            />
            <input
              ref={picker}
              type="file"
              multiple
              accept={ACCEPTED_FILES}
              hidden
              data-testid="file-input"
              onChange={(event) => {
                const chosen = [...(event.target.files ?? [])];
                event.target.value = ''; // the same file may be chosen again
                if (chosen.length) files.onAdd(chosen);
              }}
            />
          </>
        )}
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
          onPaste={onPaste}
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
          <button
            type="submit"
            className={styles.button}
            disabled={!text.trim() || waiting}
            title={waiting ? t('files.wait') : undefined}
          >
            {t('input.send')}
          </button>
        )}
      </div>
    </form>
  );
}
