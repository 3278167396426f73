/**
 * Collects streamed text and hands it over once per animation frame, so a fast stream (hundreds of tokens a
 * second) costs one React update per frame, not one per token.
 */
export interface FrameBatcher {
  push(text: string): void;
  /** Hands over whatever is pending now (before the stream's end is shown, or when it is stopped). */
  flush(): void;
  cancel(): void;
}

const schedule: (callback: () => void) => number =
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (callback) => window.setTimeout(callback, 16);
const unschedule: (handle: number) => void =
  typeof cancelAnimationFrame === 'function'
    ? cancelAnimationFrame
    : (handle) => {
        window.clearTimeout(handle);
      };

export function createFrameBatcher(deliver: (text: string) => void): FrameBatcher {
  let pending = '';
  let handle: number | undefined;

  const flush = () => {
    if (handle !== undefined) unschedule(handle);
    handle = undefined;
    if (pending) {
      const text = pending;
      pending = '';
      deliver(text);
    }
  };

  return {
    push(text) {
      pending += text;
      handle ??= schedule(flush);
    },
    flush,
    cancel() {
      if (handle !== undefined) unschedule(handle);
      handle = undefined;
      pending = '';
    },
  };
}
