import styles from './ImportOffer.module.css';

interface Props {
  count: number;
  busy: boolean;
  failed: boolean;
  onImport: () => void;
  onDiscard: () => void;
}

/** Chats this browser kept before they lived on the server: bring them in, or let them go. */
export function ImportOffer({ count, busy, failed, onImport, onDiscard }: Props) {
  if (count === 0) return null;
  return (
    <section className={styles.offer} aria-label="Chats kept in this browser">
      <p>
        This browser kept {count} {count === 1 ? 'chat' : 'chats'} from before. Bring {count === 1 ? 'it' : 'them'} to
        your chats here?
      </p>
      {failed && <p role="alert">The import failed. Your chats are still in this browser: retry.</p>}
      <div className={styles.actions}>
        <button type="button" onClick={onImport} disabled={busy}>
          Import
        </button>
        <button type="button" onClick={onDiscard} disabled={busy}>
          Discard
        </button>
      </div>
    </section>
  );
}
