import { describe, expect, it } from 'vitest';

import { flatten, placeholders } from '../test/localeStrings';
import { ADMIN_LOCALES } from './i18n';

// The admin view's own source, as text (its strings are a namespace of their own, checked here as the page's
// are in src/i18n/locales.test.ts).
const SOURCES = Object.values(
  import.meta.glob<string>(['./**/*.{ts,tsx}', '!./**/*.test.{ts,tsx}'], {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
);

const english = flatten(ADMIN_LOCALES.en);

describe.each(Object.entries(ADMIN_LOCALES))('the admin view in %s', (_language, resources) => {
  const strings = flatten(resources);

  it('has every key English has, and none it has not', () => {
    expect([...english.keys()].filter((key) => !strings.has(key))).toEqual([]);
    expect([...strings.keys()].filter((key) => !english.has(key))).toEqual([]);
  });

  it('fills in the same values as English, and is never empty', () => {
    const differing = [...strings]
      .filter(
        ([key, text]) => !text.trim() || placeholders(text).join() !== placeholders(english.get(key) ?? '').join(),
      )
      .map(([key]) => key);
    expect(differing).toEqual([]);
  });
});

describe("the admin view's English strings", () => {
  const text = SOURCES.join('\n');

  it('are each used', () => {
    const unused = [...english.keys()].filter(
      (key) => !new RegExp(`['"\`]${key.replaceAll('.', '\\.')}['"\`]`).test(text),
    );
    expect(unused).toEqual([]);
  });

  it('hold every key the view asks for', () => {
    const asked = [...text.matchAll(/\bt\(\s*'([\w.]+)'/g)].map((match) => match[1] ?? '');
    expect(asked.filter((key) => !english.has(key))).toEqual([]);
  });
});
