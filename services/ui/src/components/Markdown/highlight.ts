/**
 * Syntax highlighting whose grammars load on demand: the first code block in a language fetches that
 * language's grammar (its own small chunk); until it arrives the block shows as plain code. Nothing of
 * highlight.js beyond its core is in the page's first load.
 */
import type { ElementContent, Root } from 'hast';
import { toText } from 'hast-util-to-text';
import type { LanguageFn } from 'highlight.js';
import { createLowlight } from 'lowlight';
import { visit } from 'unist-util-visit';

type GrammarModule = Promise<{ default: LanguageFn }>;

// The languages lowlight calls common, plus a few that chats are full of. A string literal per import, so
// the bundler makes one chunk per grammar.
const GRAMMARS: Record<string, () => GrammarModule> = {
  arduino: () => import('highlight.js/lib/languages/arduino'),
  bash: () => import('highlight.js/lib/languages/bash'),
  c: () => import('highlight.js/lib/languages/c'),
  cpp: () => import('highlight.js/lib/languages/cpp'),
  csharp: () => import('highlight.js/lib/languages/csharp'),
  css: () => import('highlight.js/lib/languages/css'),
  diff: () => import('highlight.js/lib/languages/diff'),
  dockerfile: () => import('highlight.js/lib/languages/dockerfile'),
  go: () => import('highlight.js/lib/languages/go'),
  graphql: () => import('highlight.js/lib/languages/graphql'),
  ini: () => import('highlight.js/lib/languages/ini'),
  java: () => import('highlight.js/lib/languages/java'),
  javascript: () => import('highlight.js/lib/languages/javascript'),
  json: () => import('highlight.js/lib/languages/json'),
  kotlin: () => import('highlight.js/lib/languages/kotlin'),
  less: () => import('highlight.js/lib/languages/less'),
  lua: () => import('highlight.js/lib/languages/lua'),
  makefile: () => import('highlight.js/lib/languages/makefile'),
  markdown: () => import('highlight.js/lib/languages/markdown'),
  nginx: () => import('highlight.js/lib/languages/nginx'),
  objectivec: () => import('highlight.js/lib/languages/objectivec'),
  perl: () => import('highlight.js/lib/languages/perl'),
  php: () => import('highlight.js/lib/languages/php'),
  plaintext: () => import('highlight.js/lib/languages/plaintext'),
  powershell: () => import('highlight.js/lib/languages/powershell'),
  python: () => import('highlight.js/lib/languages/python'),
  r: () => import('highlight.js/lib/languages/r'),
  ruby: () => import('highlight.js/lib/languages/ruby'),
  rust: () => import('highlight.js/lib/languages/rust'),
  scss: () => import('highlight.js/lib/languages/scss'),
  shell: () => import('highlight.js/lib/languages/shell'),
  sql: () => import('highlight.js/lib/languages/sql'),
  swift: () => import('highlight.js/lib/languages/swift'),
  typescript: () => import('highlight.js/lib/languages/typescript'),
  xml: () => import('highlight.js/lib/languages/xml'),
  yaml: () => import('highlight.js/lib/languages/yaml'),
};

// Names a fence may use for a grammar above (each grammar registers its own aliases once loaded; these say
// which grammar to load for them before that).
const ALIASES: Record<string, string> = {
  'c++': 'cpp',
  console: 'shell',
  cs: 'csharp',
  docker: 'dockerfile',
  golang: 'go',
  h: 'c',
  html: 'xml',
  js: 'javascript',
  jsx: 'javascript',
  kt: 'kotlin',
  md: 'markdown',
  mjs: 'javascript',
  ps1: 'powershell',
  py: 'python',
  rb: 'ruby',
  rs: 'rust',
  sh: 'bash',
  svg: 'xml',
  text: 'plaintext',
  ts: 'typescript',
  tsx: 'typescript',
  txt: 'plaintext',
  yml: 'yaml',
  zsh: 'bash',
};

const lowlight = createLowlight();
const requested = new Set<string>();
const listeners = new Set<() => void>();
let loaded = 0;

/** How many grammars have arrived so far: a block with code re-renders when this changes. */
export function grammarsLoaded(): number {
  return loaded;
}

export function onGrammarLoaded(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function requestGrammar(language: string): void {
  const name = ALIASES[language] ?? language;
  const load = GRAMMARS[name];
  if (!load || requested.has(name)) return;
  requested.add(name);
  load().then(
    ({ default: grammar }) => {
      lowlight.register(name, grammar);
      loaded += 1;
      listeners.forEach((listener) => {
        listener();
      });
    },
    () => {
      requested.delete(name); // a failed fetch (offline): the next render asks again
    },
  );
}

/** The rehype plugin: highlights `pre > code.language-x` when x's grammar is here, and asks for it if not. */
export function rehypeHighlightOnDemand() {
  return (tree: Root) => {
    visit(tree, 'element', (node, _index, parent) => {
      if (node.tagName !== 'code' || parent?.type !== 'element' || parent.tagName !== 'pre') return;
      const classes = Array.isArray(node.properties.className) ? node.properties.className : [];
      const language = classes
        .map(String)
        .find((name) => name.startsWith('language-'))
        ?.slice('language-'.length)
        .toLowerCase();
      if (!language) return;
      if (!lowlight.registered(language)) {
        requestGrammar(language);
        return;
      }
      const highlighted = lowlight.highlight(language, toText(node, { whitespace: 'pre' }), { prefix: 'hljs-' });
      node.properties.className = [...classes, 'hljs'];
      node.children = highlighted.children as ElementContent[];
    });
  };
}
