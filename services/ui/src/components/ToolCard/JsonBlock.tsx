import { prettyJson } from '../../lib/answerParts';
import styles from './ToolCard.module.css';

/** A tool's arguments or result: pretty-printed JSON when `text` parses (and `asIs` is not asked for, as while
 * arguments stream), else as it is; left to right, as code is. */
export function JsonBlock({ text, asIs = false }: { text: string; asIs?: boolean }) {
  return (
    <pre className={styles.code} dir="ltr">
      <code>{asIs ? text : prettyJson(text)}</code>
    </pre>
  );
}
