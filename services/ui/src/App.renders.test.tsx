import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { App } from './App';
import { fakeApi } from './test/fakeApi';

// Each message's text goes through Markdown once per render of that message: count them.
const renders = vi.hoisted(() => new Map<string, number>());
vi.mock('./components/Markdown/Markdown', () => ({
  Markdown: ({ text }: { text: string }) => {
    renders.set(text, (renders.get(text) ?? 0) + 1);
    return <div>{text}</div>;
  },
}));

afterEach(() => {
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
  renders.clear();
});

describe('rendering while an answer streams', () => {
  it('re-renders only the growing answer, never the finished ones above it', async () => {
    const api = fakeApi();
    render(<App />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Message'), 'first{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(1);
    });
    act(() => {
      api.latest().delta('An earlier answer.');
      api.latest().finish();
    });
    await waitFor(() => {
      expect(screen.getAllByTestId('assistant-turn')[0]).toHaveAttribute('data-status', 'done');
    });

    await user.type(screen.getByLabelText('Message'), 'second{Enter}');
    await waitFor(() => {
      expect(api.answers).toHaveLength(2);
    });
    await act(async () => {
      api.latest().delta(' part0');
      await new Promise((resolve) => requestAnimationFrame(resolve));
    });
    const before = renders.get('An earlier answer.') ?? 0;
    for (let i = 1; i < 20; i++) {
      await act(async () => {
        api.latest().delta(` part${i}`);
        await new Promise((resolve) => requestAnimationFrame(resolve));
      });
    }
    await waitFor(() => {
      expect(screen.getAllByTestId('assistant-turn')[1]).toHaveTextContent('part19');
    });
    expect(renders.get('An earlier answer.')).toBe(before);
    expect([...renders.keys()].filter((text) => text.startsWith(' part0')).length).toBeGreaterThan(5);
  });
});
