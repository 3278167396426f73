import FileText from 'lucide-react/icons/file-text';
import { useContext, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { FileContent } from '../../hooks/useFileContent';
import { openFile, useFileUrl } from '../../hooks/useFileUrl';
import { isImage, type AttachmentView } from '../../types/files';
import { Modal } from '../Modal';
import styles from './Attachments.module.css';

/** The files sent with a message: images as pictures (opening large), other files by name (opening them). */
export function MessageFiles({ files }: { files: readonly AttachmentView[] }) {
  const { t } = useTranslation();
  if (!files.length) return null;
  return (
    <ul className={styles.files} aria-label={t('files.sent')}>
      {files.map((file) => (
        <li key={file.id} data-testid="message-file">
          {isImage(file.media_type) ? <Picture file={file} /> : <Document file={file} />}
        </li>
      ))}
    </ul>
  );
}

function Picture({ file }: { file: AttachmentView }) {
  const { t } = useTranslation();
  const url = useFileUrl(file.id);
  const [large, setLarge] = useState(false);
  return (
    <>
      <button
        type="button"
        className={styles.picture}
        aria-label={t('files.showImage', { name: file.name })}
        title={file.name}
        onClick={() => {
          setLarge(true);
        }}
      >
        {url ? <img src={url} alt={file.name} /> : <span className={styles.placeholder} />}
      </button>
      {large && (
        <Modal
          title={file.name}
          onClose={() => {
            setLarge(false);
          }}
        >
          {url && <img className={styles.large} src={url} alt={file.name} />}
        </Modal>
      )}
    </>
  );
}

function Document({ file }: { file: AttachmentView }) {
  const { t } = useTranslation();
  const load = useContext(FileContent);
  return (
    <button
      type="button"
      className={styles.file}
      aria-label={t('files.open', { name: file.name })}
      title={file.name}
      disabled={!load}
      onClick={() => {
        if (load) void openFile(load, file).catch(() => undefined);
      }}
    >
      <FileText size={16} aria-hidden="true" />
      <span dir="auto">{file.name}</span>
    </button>
  );
}
