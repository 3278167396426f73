import { render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../../App';
import { fakeApi } from '../../test/fakeApi';
import { startUrl } from './SignInWithProvider';

const CONTOSO = { name: 'Contoso', start: '/api/auth/oidc/start' };

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
  window.history.replaceState(null, '', '/');
});

describe('sign-in with the organisation', () => {
  it('comes back to the page the user was on', () => {
    expect(startUrl(CONTOSO, '/')).toBe('/api/auth/oidc/start');
    expect(startUrl(CONTOSO, '/c/1234')).toBe('/api/auth/oidc/start?return_to=%2Fc%2F1234');
  });

  it('offers a guest "Sign in with <provider>" beside the password forms', async () => {
    const api = fakeApi();
    api.methods = { guests: true, passwords: true, oidc: CONTOSO };
    render(<App />);
    const link = await screen.findByRole('link', { name: 'Sign in with Contoso' });
    expect(link.getAttribute('href')).toBe('/api/auth/oidc/start');
    expect(screen.getByRole('button', { name: 'Keep my chats' })).toBeTruthy();
  });

  it('offers no password forms when passwords are off', async () => {
    const api = fakeApi();
    api.methods = { guests: true, passwords: false, oidc: CONTOSO };
    render(<App />);
    await screen.findByRole('link', { name: 'Sign in with Contoso' });
    const panel = screen.getByRole('region', { name: 'Account' });
    expect(within(panel).queryByRole('button', { name: 'Keep my chats' })).toBeNull();
    expect(within(panel).queryByRole('button', { name: 'Sign in' })).toBeNull();
  });

  it('makes "Sign in with <provider>" the first page when there are no guests', async () => {
    const api = fakeApi();
    api.methods = { guests: false, passwords: false, oidc: CONTOSO };
    render(<App />);
    expect(await screen.findByRole('heading', { name: 'Sign in to chat' })).toBeTruthy();
    expect(await screen.findByRole('link', { name: 'Sign in with Contoso' })).toBeTruthy();
    expect(api.guests).toBe(0);
  });

  it('says why a sign-in failed, once', async () => {
    const api = fakeApi();
    api.methods = { guests: true, passwords: true, oidc: CONTOSO };
    window.history.replaceState(null, '', '/?sign_in_error=token_invalid');
    render(<App />);
    expect((await screen.findByRole('alert')).textContent).toContain('failed a security check');
    expect(window.location.search).toBe('');
  });
});
