import {
  useCallback,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type TouchEvent,
  type WheelEvent,
} from 'react';

const NEAR_BOTTOM_PX = 48;
const KEYS_THAT_SCROLL_UP = new Set(['ArrowUp', 'PageUp', 'Home']);

/**
 * Follows new content while the reader is at the bottom; stops the moment they move up, and follows again
 * once they come back down (or jump). Intent is read from the input itself (wheel, touch, keys), which
 * arrives before the scroll: during a fast stream a scroll event alone comes too late, after the next
 * frame has already pulled the view back down.
 */
export function useAutoScroll<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const touchY = useRef<number | null>(null);
  const [following, setFollowing] = useState(true);

  const onWheel = useCallback((event: WheelEvent<T>) => {
    if (event.deltaY < 0) setFollowing(false);
  }, []);
  const onTouchStart = useCallback((event: TouchEvent<T>) => {
    touchY.current = event.touches[0]?.clientY ?? null;
  }, []);
  const onTouchMove = useCallback((event: TouchEvent<T>) => {
    const y = event.touches[0]?.clientY;
    if (y !== undefined && touchY.current !== null && y > touchY.current) setFollowing(false); // dragging down
  }, []);
  const onKeyDown = useCallback((event: KeyboardEvent<T>) => {
    if (KEYS_THAT_SCROLL_UP.has(event.key)) setFollowing(false);
  }, []);
  const onScroll = useCallback(() => {
    const element = ref.current;
    if (element && element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX) setFollowing(true);
  }, []);

  useLayoutEffect(() => {
    const element = ref.current;
    if (following && element) element.scrollTop = element.scrollHeight;
  }, [content, following]);

  const jumpToLatest = useCallback(() => {
    const element = ref.current;
    if (element) element.scrollTop = element.scrollHeight;
    setFollowing(true);
  }, []);

  /** Stops following (the view was moved to a message on purpose). */
  const hold = useCallback(() => {
    setFollowing(false);
  }, []);

  return { ref, following, jumpToLatest, hold, handlers: { onScroll, onWheel, onTouchStart, onTouchMove, onKeyDown } };
}
