import { describe, expect, it } from 'vitest';

import { splitBlocks } from './markdownBlocks';

describe('splitBlocks', () => {
  it('splits at blank lines and joins back to the exact text', () => {
    const text = '## Title\n\nA paragraph\nstill it.\n\n- one\n- two\n\n| a | b |\n| - | - |\n';
    const blocks = splitBlocks(text);
    expect(blocks).toEqual([
      '## Title\n\n',
      'A paragraph\nstill it.\n\n',
      '- one\n- two\n\n',
      '| a | b |\n| - | - |\n',
    ]);
    expect(blocks.join('')).toBe(text);
  });

  it('never splits inside fenced code, whatever blank lines it holds', () => {
    const text = 'Before\n\n```python\ndef f():\n\n    return 1\n```\n\nAfter ~~~ not a fence\n\n~~~\n\n```\n~~~\n';
    const blocks = splitBlocks(text);
    expect(blocks[1]).toBe('```python\ndef f():\n\n    return 1\n```\n\n');
    expect(blocks[3]).toBe('~~~\n\n```\n~~~\n'); // a ``` inside a ~~~ fence does not close it
    expect(blocks.join('')).toBe(text);
  });

  it('keeps an unfinished fence (still streaming) in the last block', () => {
    const blocks = splitBlocks('Intro\n\n```ts\nconst a = 1;\n\n');
    expect(blocks).toEqual(['Intro\n\n', '```ts\nconst a = 1;\n\n']);
  });

  it('handles empty text and text without blank lines', () => {
    expect(splitBlocks('')).toEqual([]);
    expect(splitBlocks('one line')).toEqual(['one line']);
    expect(splitBlocks('\n\n\nx')).toEqual(['\n\n\nx']);
  });
});
