import { memo, useRef, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';

import { CopyButton } from '../CopyButton';
import styles from './Markdown.module.css';

// `node` (react-markdown's syntax-tree node) is taken out so it does not reach the DOM.
function CodeBlock({ node, ...props }: ComponentPropsWithoutRef<'pre'> & { node?: unknown }) {
  const pre = useRef<HTMLPreElement>(null);
  return (
    <div className={styles.codeBlock}>
      <div className={styles.codeActions}>
        <CopyButton label="Copy code" getText={() => pre.current?.textContent ?? ''} />
      </div>
      <pre ref={pre} {...props} />
    </div>
  );
}

function Link({ node, ...props }: ComponentPropsWithoutRef<'a'> & { node?: unknown }) {
  return <a {...props} target="_blank" rel="noopener noreferrer" />;
}

const components: Components = { pre: CodeBlock, a: Link };
const remarkPlugins = [remarkGfm];
const rehypePlugins = [rehypeHighlight];

/**
 * GitHub-flavoured markdown with highlighted code. Raw HTML from the model is shown as text, never rendered
 * (react-markdown has no raw-HTML plugin here), and unsafe link protocols are dropped by its URL filter.
 * Memoised on the text: finished answers are never parsed again while another one streams.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className={styles.markdown}>
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
