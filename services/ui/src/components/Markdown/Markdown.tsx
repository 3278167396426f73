import type { Element } from 'hast';
import { memo, useContext, useMemo, useRef, useSyncExternalStore, type ComponentPropsWithoutRef } from 'react';
import { useTranslation } from 'react-i18next';
import ReactMarkdown, { type Components, type Options } from 'react-markdown';
import remarkGfm from 'remark-gfm';

import { boundMarkdown } from '../../lib/boundMarkdown';
import { knownKey } from '../../lib/citationMarkers';
import { splitBlocks } from '../../lib/markdownBlocks';
import { Citations } from '../Citations';
import { CitationRefs } from '../Citations/CitationRefs';
import { CopyButton } from '../CopyButton';
import { remarkCitations } from './citations';
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

/** A cited marker (see `remarkCitations`) as reference buttons; any other `<sup>` as it is. */
function Superscript({ node, ...props }: ComponentPropsWithoutRef<'sup'> & { node?: Element | undefined }) {
  const cited = node?.properties.dataCite;
  if (typeof cited !== 'string') return <sup {...props} />;
  const text = node?.children.map((child) => (child.type === 'text' ? child.value : '')).join('') ?? '';
  return <CitationRefs numbers={cited.split(',').map(Number)} text={text} />;
}

const components: Components = { pre: CodeBlock, a: Link, sup: Superscript };
const rehypePlugins = [rehypeHighlightOnDemand];

/**
 * A whole answer, rendered block by block (see `splitBlocks`): while it streams, each frame parses only the
 * block that is still growing; the finished blocks keep their rendered output. A block with code renders
 * again when a grammar arrives (see `highlight`).
 */
export function Markdown({ text }: { text: string }) {
  const grammars = useSyncExternalStore(onGrammarLoaded, grammarsLoaded);
  const citations = useContext(Citations);
  const known = citations ? knownKey(new Set(citations.byNumber.keys())) : '';
  return (
    <div className={styles.markdown} dir="auto">
      {splitBlocks(text).map((block, index) => (
        // Blocks only ever grow at the end, so an index is a stable key.
        <MarkdownBlock
          key={index}
          text={block}
          grammars={hasCode(block) ? grammars : 0}
          known={known && /\[\d/.test(block) ? known : ''}
        />
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
 * again. The parser sees the block with its nesting bounded (see `boundMarkdown`). `known`: the numbers the
 * answer has citations for (those its markers may refer to), as a key.
 */
const MarkdownBlock = memo(function MarkdownBlock({ text, known }: { text: string; grammars: number; known: string }) {
  const remarkPlugins = useMemo<NonNullable<Options['remarkPlugins']>>(
    () => (known ? [remarkGfm, [remarkCitations, { known: new Set(known.split(',').map(Number)) }]] : [remarkGfm]),
    [known],
  );
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
      {boundMarkdown(text)}
    </ReactMarkdown>
  );
});
