/** Documents (issue #31): a conversation's files, the files a message carries, and an answer's citations.
 * The shapes are the api's generated schemas; the `citation` event's payload is described inline in the
 * OpenAPI document (its SSE `contentSchema`), which openapi-typescript does not name: written here. */

import type { components } from '../api/schema';

type Schemas = components['schemas'];

/** `GET /api/conversations/{id}/files` items, and what an upload answers. */
export type FileView = Schemas['FileView'];

export type FileStatus = FileView['status'];

/** A file sent with a user message (`MessageView.attachments`). */
export type AttachmentView = Schemas['AttachmentView'];

/** A saved answer's citation part: the passage the answer's `[number]` refers to. */
export type CitationPart = Schemas['CitationPart'];

/** The `citation` event: sent the first time the answer cites `[number]`, before the text completing it. */
export type CitationEvent = Omit<CitationPart, 'type'>;

/** The file types the api takes (it reads the type from the content; this only narrows the file picker). */
export const ACCEPTED_FILES = [
  'application/pdf',
  'text/plain',
  'text/markdown',
  'text/html',
  'text/csv',
  'image/png',
  'image/jpeg',
  'image/webp',
  '.pdf',
  '.txt',
  '.md',
  '.markdown',
  '.html',
  '.htm',
  '.csv',
].join(',');

export function isImage(mediaType: string): boolean {
  return mediaType.startsWith('image/');
}
