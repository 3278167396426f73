import { useCallback, useLayoutEffect, useRef, useState } from 'react';

const NEAR_BOTTOM_PX = 48;

/** Follows new content while the reader is at the bottom; stops following once they scroll up. */
export function useAutoScroll<T extends HTMLElement>(content: unknown) {
  const ref = useRef<T>(null);
  const [following, setFollowing] = useState(true);

  const onScroll = useCallback(() => {
    const element = ref.current;
    if (!element) return;
    setFollowing(element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX);
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

  return { ref, following, onScroll, jumpToLatest };
}
