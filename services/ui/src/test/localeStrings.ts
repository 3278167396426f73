/** What the locale tests share: a strings file flattened to dotted keys, and a string's placeholders. */

export function flatten(tree: unknown, prefix = ''): Map<string, string> {
  const found = new Map<string, string>();
  for (const [name, value] of Object.entries(tree as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (typeof value === 'string') found.set(key, value);
    else flatten(value, key).forEach((text, inner) => found.set(inner, text));
  }
  return found;
}

export const placeholders = (text: string) => [...text.matchAll(/{{\s*(\w+)/g)].map((match) => match[1]).sort();
