import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from '../App';
import { ErrorMessage } from '../components/ErrorMessage';
import { fakeApi } from '../test/fakeApi';
import { formatDuration } from './format';
import { i18n, LANGUAGE_KEY } from './i18n';
import { chooseLanguage } from './language';
import { openSettings } from '../test/settings';

afterEach(async () => {
  vi.unstubAllGlobals();
  localStorage.clear();
  await i18n.changeLanguage('en');
});

describe('the language', () => {
  it("is the browser's first supported one, a regional variant reading its language", async () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['fr-FR', 'de-AT', 'en']);
    await i18n.changeLanguage(); // detect, as at start
    expect(i18n.resolvedLanguage).toBe('de');
    expect(i18n.t('input.send')).toBe('Senden');
    expect(document.documentElement.lang).toBe('de');
    expect(document.documentElement.dir).toBe('ltr');
  });

  it('is the one chosen in this browser, before the browser’s own, until the choice is taken back', async () => {
    await chooseLanguage('de');
    expect(localStorage.getItem(LANGUAGE_KEY)).toBe('de');
    await i18n.changeLanguage(); // as on the next visit
    expect(i18n.resolvedLanguage).toBe('de');
    await chooseLanguage(null);
    expect(localStorage.getItem(LANGUAGE_KEY)).toBeNull();
    expect(i18n.resolvedLanguage).toBe('en'); // jsdom's browser speaks English
  });

  it('is picked in the settings, and the whole page follows it', async () => {
    fakeApi();
    render(<App />);
    const user = userEvent.setup();
    await openSettings(user);
    await user.selectOptions(await screen.findByLabelText('Language'), 'Deutsch');
    expect(await screen.findByLabelText('Nachricht')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Senden' })).toBeInTheDocument();
    expect(screen.getByText(/Sie chatten als Gast/)).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('de');
    expect(localStorage.getItem(LANGUAGE_KEY)).toBe('de');
  });
});

describe('an error', () => {
  const refused = { code: 'invalid_request', message: 'password: must not be your email address' };

  it("is the server's own words in English, the language the api writes", () => {
    render(<ErrorMessage error={refused} />);
    expect(document.body).toHaveTextContent(/^password: must not be your email address$/);
  });

  it("is the page's sentence for its code in another language, the server's words after it, marked English", async () => {
    await i18n.changeLanguage('de');
    render(<ErrorMessage error={refused} />);
    expect(document.body).toHaveTextContent(
      'Die Anfrage wurde nicht angenommen. password: must not be your email address',
    );
    expect(screen.getByText(refused.message)).toHaveAttribute('lang', 'en');
  });

  it('of a model that takes no images says so in the page’s language, naming the model in the server’s words', async () => {
    const vision = {
      code: 'vision_unsupported',
      message: 'This model (chat-mini) does not take images; pick one that does.',
    };
    await i18n.changeLanguage('de');
    render(<ErrorMessage error={vision} />);
    expect(document.body).toHaveTextContent(/^Dieses Modell nimmt keine Bilder: .* This model \(chat-mini\)/);
  });

  it('made by the page itself is said in the page’s language alone', async () => {
    await i18n.changeLanguage('de');
    render(<ErrorMessage error={{ code: 'network_error', message: 'The connection to the server failed.' }} />);
    expect(document.body).toHaveTextContent(/^Die Verbindung zum Server ist fehlgeschlagen/);
    expect(document.body).not.toHaveTextContent('The connection');
  });
});

describe('a duration', () => {
  it('is written in the language asked for, without a zero part', () => {
    expect(formatDuration(7_500, 'en')).toBe('2 hr, 5 min');
    expect(formatDuration(7_500, 'de')).toBe('2 Std., 5 Min.');
    expect(formatDuration(7_200, 'en')).toBe('2 hr');
    expect(formatDuration(20, 'en')).toBe('1 min');
  });
});
