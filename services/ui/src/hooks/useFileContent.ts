import { createContext } from 'react';

/** A file's original bytes, by its id (`GET …/files/{id}/content`, with the access token: no plain link can
 * show them). Null where no conversation's files can be read (the shared page). */
export type LoadFile = (fileId: string) => Promise<Blob>;

export const FileContent = createContext<LoadFile | null>(null);
