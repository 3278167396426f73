import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../App';
import { fakeApi } from '../test/fakeApi';

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

describe('the way to the admin view', () => {
  it('is in the account panel of an admin only', async () => {
    const api = fakeApi();
    api.account = 'ops@example.com';
    api.admin = true;
    render(<App />);
    const link = await screen.findByRole('link', { name: 'Admin: usage and users' });
    expect(link).toHaveAttribute('href', '/admin');
  });

  it('is not offered to anyone else', async () => {
    const api = fakeApi();
    api.account = 'ada@example.com';
    render(<App />);
    await screen.findByText('ada@example.com');
    expect(screen.queryByRole('link', { name: 'Admin: usage and users' })).not.toBeInTheDocument();
  });

  it('opened by a guest, /admin says it is not allowed (the chunk loads, the api is never asked)', async () => {
    const api = fakeApi();
    window.history.replaceState(null, '', '/admin');
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(api.calls.filter((call) => call.includes('/api/admin'))).toEqual([]);
  });
});
