import { describe, expect, it } from 'vitest';

import { knownKey, splitMarkers } from './citationMarkers';

const known = new Set([1, 2, 3]);

describe('citation markers', () => {
  it('are cut out where they name a known citation, and the pieces join back to the text', () => {
    const text = 'Revenue grew [1], costs fell [2][3] and margins held [1, 3].';
    const pieces = splitMarkers(text, known);
    expect(pieces.filter((piece) => piece.kind === 'marker')).toEqual([
      { kind: 'marker', text: '[1]', numbers: [1] },
      { kind: 'marker', text: '[2]', numbers: [2] },
      { kind: 'marker', text: '[3]', numbers: [3] },
      { kind: 'marker', text: '[1, 3]', numbers: [1, 3] },
    ]);
    expect(pieces.map((piece) => piece.text).join('')).toBe(text);
  });

  it('leave other bracketed numbers, and markers without a known citation, as text', () => {
    expect(splitMarkers('an array a[7] and [4] and [x]', known)).toEqual([
      { kind: 'text', text: 'an array a[7] and [4] and [x]' },
    ]);
    expect(splitMarkers('see [1]', new Set())).toEqual([{ kind: 'text', text: 'see [1]' }]);
  });

  it('keep a marker not finished yet (its end in the next delta) as text', () => {
    expect(splitMarkers('see [1', known)).toEqual([{ kind: 'text', text: 'see [1' }]);
  });

  it('make one key of the known numbers, in order', () => {
    expect(knownKey(new Set([3, 1, 2]))).toBe('1,2,3');
  });
});
