import { memo, useRef, useSyncExternalStore, type ComponentPropsWithoutRef } from 'react';
import { useTranslation } from 'react-i18next';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

import { boundMarkdown } from '../../lib/boundMarkdown';
import { splitBlocks } from '../../lib/markdownBlocks';
import { CopyButton } from '../CopyButton';
import { grammarsLoaded, onGrammarLoaded, rehypeHighlightOnDemand } from './highlight';
import styles from './Markdown.module.css';

// `node` (react-markdown's syntax-tree node) is taken out so it does not reach the DOM.
function CodeBlock({ node, ...props }: ComponentPropsWithoutRef<'pre'> & { node?: unknown }) {
  const { t } = useTranslation();
  const pre = useRef<HTMLPreElement>(null);
  return (
    <div className={styles.codeBlock}>
      <div className={styles.codeActions}>
        <CopyButton label={t('message.copyCode')} getText={() => pre.current?.textContent ?? ''} />
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
const rehypePlugins = [rehypeHighlightOnDemand];

/**
 * A whole answer, rendered block by block (see `splitBlocks`): while it streams, each frame parses only the
 * block that is still growing; the finished blocks keep their rendered output. A block with code renders
 * again when a grammar arrives (see `highlight`).
 */
export function Markdown({ text }: { text: string }) {
  const grammars = useSyncExternalStore(onGrammarLoaded, grammarsLoaded);
  return (
    <div className={styles.markdown} dir="auto">
      {splitBlocks(text).map((block, index) => (
        // Blocks only ever grow at the end, so an index is a stable key.
        <MarkdownBlock key={index} text={block} grammars={hasCode(block) ? grammars : 0} />
      ))}
    </div>
  );
}

function hasCode(block: string): boolean {
  return block.includes('```') || block.includes('~~~');
}

/**
 * GitHub-flavoured markdown with highlighted code. Raw HTML from the model is shown as text, never rendered
 * (react-markdown has no raw-HTML plugin here), and unsafe link protocols are dropped by its URL filter.
 * Memoised on its text (and, for code, the grammars loaded): a block that has stopped growing is not parsed
 * again. The parser sees the block with its nesting bounded (see `boundMarkdown`).
 */
const MarkdownBlock = memo(function MarkdownBlock({ text }: { text: string; grammars: number }) {
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
      {boundMarkdown(text)}
    </ReactMarkdown>
  );
});
