import { describe, expect, it, vi } from 'vitest';

import { createApi } from './api';
import type { Session } from './session';

/** The api over a session that records each request and answers an empty stream. */
function recorded() {
  const requests: { path: string; init: RequestInit }[] = [];
  const session = {
    fetch: vi.fn((path: string, init: RequestInit = {}) => {
      requests.push({ path, init });
      return Promise.resolve(new Response('', { status: 200, headers: { 'Content-Type': 'text/event-stream' } }));
    }),
  } as unknown as Session;
  return { api: createApi(session), requests };
}

describe('a message sent', () => {
  it('carries the ids of the files sent with it, and no attachments field without any', async () => {
    const { api, requests } = recorded();
    await api.send('c1', 'Look', {}, 'k1', undefined, ['f1', 'f2']);
    await api.send('c1', 'Plain', {}, 'k2');
    const bodies = requests.map(({ init }) => JSON.parse(init.body as string) as Record<string, unknown>);
    expect(bodies).toEqual([
      { content: 'Look', options: {}, attachments: ['f1', 'f2'] },
      { content: 'Plain', options: {} },
    ]);
  });
});
