/** The token of the shared page in the address (`/s/<token>`; '' for a malformed one), or null: not one. */
export function sharedTokenInAddress(): string | null {
  const { pathname } = window.location;
  if (!pathname.startsWith('/s/')) return null;
  return /^\/s\/([A-Za-z0-9_-]+)$/.exec(pathname)?.[1] ?? '';
}
