import { describe, expect, it } from 'vitest';

import { boundMarkdown, MAX_DELIMITER_RUN, MAX_INLINE_DELIMITERS, MAX_NESTING } from './boundMarkdown';

describe('boundMarkdown', () => {
  it('leaves ordinary markdown exactly as it is', () => {
    const text = [
      '## Title',
      '',
      '> a quote',
      '> > nested once',
      '',
      '- one',
      '  - two',
      '    1. three',
      '',
      '***',
      '- - -',
      '',
      '**bold**, _em_, ***both***, snake_case_name',
      '',
      '| a | b |',
      '| --- | --- |',
      '',
    ].join('\n');
    expect(boundMarkdown(text)).toBe(text);
  });

  it('escapes the blockquote beyond the deepest nesting: the rest of the line is text', () => {
    const bomb = '>'.repeat(3000) + ' deep';
    expect(boundMarkdown(bomb)).toBe(`${'>'.repeat(MAX_NESTING)}\\${'>'.repeat(3000 - MAX_NESTING)} deep`);
    expect(boundMarkdown('> '.repeat(3000))).toBe(`${'> '.repeat(MAX_NESTING)}\\${'> '.repeat(3000 - MAX_NESTING)}`);
  });

  it('escapes list markers beyond the deepest nesting, bullets and numbers, mixed with quotes', () => {
    const beyond = 100 - MAX_NESTING;
    expect(boundMarkdown('- '.repeat(100) + 'x')).toBe(`${'- '.repeat(MAX_NESTING)}\\${'- '.repeat(beyond)}x`);
    expect(boundMarkdown('1. '.repeat(100))).toBe(`${'1. '.repeat(MAX_NESTING)}1\\.${' 1.'.repeat(beyond - 1)} `);
    expect(boundMarkdown('> * '.repeat(50))).toBe(
      `${'> * '.repeat(MAX_NESTING / 2)}\\${'> * '.repeat(50 - MAX_NESTING / 2)}`,
    );
  });

  it('bounds each line alone, so a line is bounded the same while it streams and after', () => {
    const line = '>'.repeat(50);
    const text = `${line}\nplain\n${line} end\n`;
    const bounded = `${'>'.repeat(MAX_NESTING)}\\${'>'.repeat(50 - MAX_NESTING)}`;
    expect(boundMarkdown(text)).toBe(`${bounded}\nplain\n${bounded} end\n`);
    expect(boundMarkdown(`${line}\nplain\n${'>'.repeat(25)}`)).toBe(
      `${bounded}\nplain\n${'>'.repeat(MAX_NESTING)}\\${'>'.repeat(25 - MAX_NESTING)}`,
    );
  });

  it('escapes a long run of * or _ so it shows as written instead of nesting emphasis', () => {
    const stars = '*'.repeat(10_000);
    expect(boundMarkdown(`${stars}x${stars}`)).toBe(`${'\\*'.repeat(10_000)}x${'\\*'.repeat(10_000)}`);
    expect(boundMarkdown(`a${'_'.repeat(MAX_DELIMITER_RUN + 1)}b`)).toBe(`a${'\\_'.repeat(MAX_DELIMITER_RUN + 1)}b`);
    const kept = `**${'*'.repeat(MAX_DELIMITER_RUN - 2)}x`;
    expect(boundMarkdown(kept)).toBe(kept);
    expect(boundMarkdown('*'.repeat(1000))).toBe('*'.repeat(1000)); // a thematic break, however long
  });

  it('shows every `*`, `_` and `[` of a block as written once it holds too many to parse in good time', () => {
    const nested = `${'*a '.repeat(MAX_INLINE_DELIMITERS)}${'a* '.repeat(MAX_INLINE_DELIMITERS)}`;
    expect(boundMarkdown(nested)).toBe(nested.replace(/\*/g, '\\*'));
    const links = `* ${'[a](u) '.repeat(MAX_INLINE_DELIMITERS + 1)}`;
    expect(boundMarkdown(links)).toBe(`* ${'\\[a](u) '.repeat(MAX_INLINE_DELIMITERS + 1)}`); // the list item stays
    const within = '**a** '.repeat(MAX_INLINE_DELIMITERS / 2);
    expect(boundMarkdown(within)).toBe(within);
    const code = `\`\`\`\n${'*p '.repeat(1000)}\n\`\`\`\n**bold**\n`;
    expect(boundMarkdown(code)).toBe(code); // delimiters in fenced code do not count
  });

  it('leaves fenced code alone, whatever it holds', () => {
    const code = '```\n' + '>'.repeat(100) + '\n' + '*'.repeat(100) + '\n```\n';
    expect(boundMarkdown(code)).toBe(code);
  });

  it('takes time in proportion to the text (a megabyte in well under a second)', () => {
    const text = ('- '.repeat(60) + '*'.repeat(40) + ' ' + 'a'.repeat(900) + '\n').repeat(1000);
    const started = performance.now();
    boundMarkdown(text);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
