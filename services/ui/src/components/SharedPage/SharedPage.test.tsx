import { render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { App } from '../../App';
import { fakeApi } from '../../test/fakeApi';

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

const robots = () => document.head.querySelector('meta[name="robots"]');

describe('a shared page', () => {
  it('shows the conversation read-only, asked for with no session at all, and is not indexed', async () => {
    const api = fakeApi();
    api.cookie = true; // this browser has a session: the page must not use it
    api.snapshots.set('Tok_en-1', {
      version: 1,
      title: 'Pasta recipes',
      shared_at: '2026-12-06T08:00:00Z',
      messages: [
        { role: 'user', content: 'How long for spaghetti?', status: 'done', created_at: '2026-12-06T07:59:00Z' },
        { role: 'assistant', content: 'About **ten** minutes.', status: 'done', created_at: '2026-12-06T08:00:00Z' },
      ],
    });
    window.history.replaceState(null, '', '/s/Tok_en-1');
    render(<App />);

    expect(await screen.findByRole('heading', { name: 'Pasta recipes' })).toBeInTheDocument();
    expect(screen.getByLabelText('You')).toHaveTextContent('How long for spaghetti?');
    await waitFor(() => {
      expect(screen.getByTestId('shared-answer').querySelector('strong')).toHaveTextContent('ten');
    });
    expect(screen.queryByRole('textbox')).not.toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(robots()).toHaveAttribute('content', 'noindex');
    expect(api.sharedReads).toEqual([{ token: 'Tok_en-1', credentials: 'omit', authorization: null }]);
    expect(api.calls.filter((path) => path.startsWith('/api/auth'))).toEqual([]);
  });

  it('shows the tool cards of an answer that called tools, finished and with no way to act', async () => {
    fakeApi().snapshots.set('with-tools', {
      version: 1,
      title: 'Time',
      shared_at: '2026-12-06T08:00:00Z',
      messages: [
        { role: 'user', content: 'Time in Berlin?', status: 'done', created_at: '2026-12-06T07:59:00Z' },
        {
          role: 'assistant',
          content: 'It is noon.',
          parts: [
            {
              type: 'tool_call',
              call_id: 'c1',
              tool: 'builtin-current_time',
              arguments: '{"timezone":"Europe/Berlin"}',
            },
            {
              type: 'tool_result',
              call_id: 'c1',
              tool: 'builtin-current_time',
              status: 'ok',
              preview: '12:00 Europe/Berlin',
              duration_ms: 4,
            },
            { type: 'text', text: 'It is noon.' },
          ],
          status: 'done',
          created_at: '2026-12-06T08:00:00Z',
        },
      ],
    });
    window.history.replaceState(null, '', '/s/with-tools');
    render(<App />);
    const card = await screen.findByTestId('tool-card');
    expect(card).toHaveAttribute('data-state', 'ok');
    expect(card).toHaveTextContent('Europe/Berlin');
    expect(screen.getByTestId('shared-answer')).toHaveTextContent('It is noon.');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
  });

  it('shows the citations of an answer, their passages, and no way to open the files', async () => {
    fakeApi().snapshots.set('with-sources', {
      version: 1,
      title: 'Packing',
      shared_at: '2026-12-06T08:00:00Z',
      messages: [
        { role: 'user', content: 'What do I bring?', status: 'done', created_at: '2026-12-06T07:59:00Z' },
        {
          role: 'assistant',
          content: 'A lantern [1].',
          parts: [
            { type: 'text', text: 'A lantern [1].' },
            {
              type: 'citation',
              number: 1,
              file_id: '3f1c0c1e-7d6a-4a38-9a55-0a1b2c3d4e5f',
              file: 'packing.md',
              page: null,
              section: 'Packing list',
              text: 'Bring a lantern and the blue tent.',
            },
          ],
          status: 'done',
          created_at: '2026-12-06T08:00:00Z',
        },
      ],
    });
    window.history.replaceState(null, '', '/s/with-sources');
    render(<App />);
    const reference = await screen.findByRole('button', { name: 'Source 1: packing.md' });
    expect(await screen.findByRole('region', { name: 'Sources' })).toHaveTextContent('packing.md');
    reference.click();
    const dialog = await screen.findByRole('dialog', { name: 'Source 1' });
    expect(dialog).toHaveTextContent('Bring a lantern and the blue tent.');
    expect(screen.queryByRole('button', { name: 'Open packing.md' })).not.toBeInTheDocument();
  });

  it('says a revoked or unknown link does not work', async () => {
    const api = fakeApi();
    window.history.replaceState(null, '', '/s/revoked-or-never-made');
    const { unmount } = render(<App />);
    expect(await screen.findByRole('heading', { name: 'This link does not work' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Open the chat' })).toHaveAttribute('href', '/');
    expect(api.sharedReads).toHaveLength(1);
    expect(robots()).not.toBeNull();
    unmount();
    expect(robots()).toBeNull();
  });

  it('does not ask the server about a malformed link', async () => {
    const api = fakeApi();
    window.history.replaceState(null, '', '/s/not%20a%20token');
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'This link does not work' })).toBeInTheDocument();
    expect(api.sharedReads).toEqual([]);
  });
});
