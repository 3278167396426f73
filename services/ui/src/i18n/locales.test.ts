import { describe, expect, it } from 'vitest';

import { flatten, placeholders } from '../test/localeStrings';
import de from './locales/de.json';
import en from './locales/en.json';

/** Every language the page ships, by its code: each must say everything English says, and no more. */
const LOCALES: Record<string, unknown> = { en, de };

// The page's own source, as text (tests and the generated api types are not the page).
const SOURCES = Object.entries(
  import.meta.glob<string>(
    ['../**/*.{ts,tsx}', '!../**/*.test.{ts,tsx}', '!../api/**', '!../test/**', '!../admin/**'],
    {
      query: '?raw',
      import: 'default',
      eager: true,
    },
  ),
);

const PLURAL = /_(zero|one|two|few|many|other)$/;
const english = flatten(en);

describe.each(Object.entries(LOCALES))('the %s strings', (language, resources) => {
  const strings = flatten(resources);

  it('have every key English has, and none it has not', () => {
    const keys = (map: Map<string, string>) => [...map.keys()].filter((key) => !PLURAL.test(key));
    expect({ missing: keys(english).filter((key) => !strings.has(key)) }).toEqual({ missing: [] });
    expect({ extra: keys(strings).filter((key) => !english.has(key)) }).toEqual({ extra: [] });
  });

  it("have each plural in every form the language's grammar uses", () => {
    const forms = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    const plurals = new Set([...english.keys()].filter((key) => PLURAL.test(key)).map((k) => k.replace(PLURAL, '')));
    const missing = [...plurals].flatMap((base) =>
      forms.map((form) => `${base}_${form}`).filter((key) => !strings.has(key)),
    );
    expect(missing).toEqual([]);
  });

  it('fill in the same values as English, and are never empty', () => {
    const base = (key: string) => english.get(key) ?? english.get(key.replace(PLURAL, '_other')) ?? '';
    const differing = [...strings]
      .filter(([key, text]) => !text.trim() || placeholders(text).join() !== placeholders(base(key)).join())
      .map(([key]) => key);
    expect(differing).toEqual([]);
  });
});

describe('the English strings', () => {
  it('are each used by the page (a plural by its base key)', () => {
    const bases = new Set([...english.keys()].map((key) => key.replace(PLURAL, '')));
    const text = SOURCES.map(([, source]) => source).join('\n');
    const unused = [...bases].filter((key) => !new RegExp(`['"\`]${key.replaceAll('.', '\\.')}['"\`]`).test(text));
    expect(unused).toEqual([]);
  });

  it('hold every key the page asks for', () => {
    const asked = SOURCES.flatMap(([file, source]) =>
      [...source.matchAll(/\bt\(\s*'([\w.]+)'/g)].map((match) => `${file}: ${match[1] ?? ''}`),
    );
    const bases = new Set([...english.keys()].map((key) => key.replace(PLURAL, '')));
    expect(asked.filter((entry) => !bases.has(entry.split(': ')[1] ?? ''))).toEqual([]);
  });
});
