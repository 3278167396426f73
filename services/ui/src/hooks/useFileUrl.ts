import { useContext, useEffect, useState } from 'react';

import { download } from '../lib/download';
import { FileContent, type LoadFile } from './useFileContent';

// Only the lazy chunks (a message's files, a citation's passage) use these: not in the first load.

/** An object URL of a file's bytes while the component shows it (null while it loads, or if it cannot). */
export function useFileUrl(fileId: string): string | null {
  const load = useContext(FileContent);
  const [url, setUrl] = useState<{ fileId: string; url: string } | null>(null);
  useEffect(() => {
    if (!load) return;
    let made: string | null = null;
    let cancelled = false;
    load(fileId).then(
      (blob) => {
        if (cancelled) return;
        made = URL.createObjectURL(blob);
        setUrl({ fileId, url: made });
      },
      () => undefined, // the name stays in sight; the picture does not
    );
    return () => {
      cancelled = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [load, fileId]);
  return url?.fileId === fileId ? url.url : null;
}

// What the browser may show in a tab of ours: never HTML or anything else that could run as our page.
const VIEWABLE = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/webp', 'text/plain']);

/** Opens a file in a new tab (a PDF at `page`), or saves it when a tab of ours should not show it. The tab is
 * opened at once, in the click, so no popup blocker stops it; the bytes follow. */
export async function openFile(load: LoadFile, file: { id: string; name: string }, page?: number | null) {
  const tab = window.open('', '_blank');
  try {
    const blob = await load(file.id);
    const type = blob.type.split(';')[0]?.trim() ?? '';
    if (!VIEWABLE.has(type)) {
      tab?.close();
      download(blob, file.name);
      return;
    }
    const url = URL.createObjectURL(new Blob([blob], { type }));
    const at = type === 'application/pdf' && page ? `${url}#page=${String(page)}` : url;
    if (tab) tab.location.href = at;
    else window.location.assign(at);
  } catch (error) {
    tab?.close();
    throw error;
  }
}
