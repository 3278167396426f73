/** The files attached in the composer, one chip each, and every step of theirs: a pure reducer, so each
 * transition is testable. A chip is `uploading` (its bytes on the way, `sent` of 1), then as the server has
 * the file (`uploaded`, `extracting`, `embedding` `chunksDone` of `chunksTotal`, `ready`), or `failed`: refused
 * by the upload (`error`, the envelope's) or by its reading (`reason`, the server's). */
import type { ErrorInfo } from '../types/chat';
import type { AttachmentView, FileStatus, FileView } from '../types/files';

export type ChipState = 'uploading' | FileStatus;

export interface Chip {
  /** The page's own id for it (the server's comes with its answer). */
  key: string;
  fileId: string | null;
  name: string;
  /** The browser's guess until the server reads it from the content. */
  mediaType: string;
  /** A local picture of an image (an object URL), shown before and after it is sent. */
  preview: string | null;
  state: ChipState;
  /** The share of its bytes sent, 0 to 1, while `uploading`. */
  sent: number;
  chunksDone: number;
  chunksTotal: number | null;
  /** Why reading it failed (the server's words). */
  reason: string | null;
  /** Why the upload was refused (too large, an unsupported type…). */
  error: ErrorInfo | null;
}

export type UploadAction =
  | { type: 'added'; chips: Chip[] }
  | { type: 'progress'; key: string; sent: number }
  | { type: 'uploaded'; key: string; file: FileView }
  | { type: 'refused'; key: string; error: ErrorInfo }
  /** `GET …/files`: where the conversation's files stand now. */
  | { type: 'listed'; files: FileView[] }
  | { type: 'removed'; key: string }
  /** Sent with a message, or left behind by another conversation. */
  | { type: 'cleared'; keys: readonly string[] };

export function newChip(key: string, file: Pick<File, 'name' | 'type'>, preview: string | null = null): Chip {
  return {
    key,
    fileId: null,
    name: file.name,
    mediaType: file.type || 'application/octet-stream',
    preview,
    state: 'uploading',
    sent: 0,
    chunksDone: 0,
    chunksTotal: null,
    reason: null,
    error: null,
  };
}

function withFile(chip: Chip, file: FileView): Chip {
  return {
    ...chip,
    fileId: file.id,
    name: file.name,
    mediaType: file.media_type,
    state: file.status,
    sent: 1,
    chunksDone: file.chunks_done,
    chunksTotal: file.chunks_total ?? null,
    reason: file.status === 'failed' ? (file.reason ?? null) : null,
  };
}

function change(chips: Chip[], key: string, how: (chip: Chip) => Chip): Chip[] {
  return chips.map((chip) => (chip.key === key ? how(chip) : chip));
}

export function uploadsReducer(chips: Chip[], action: UploadAction): Chip[] {
  switch (action.type) {
    case 'added':
      return [...chips, ...action.chips];
    case 'progress':
      return change(chips, action.key, (chip) =>
        chip.state === 'uploading' ? { ...chip, sent: Math.max(chip.sent, Math.min(1, action.sent)) } : chip,
      );
    case 'uploaded':
      return change(chips, action.key, (chip) => withFile(chip, action.file));
    case 'refused':
      return change(chips, action.key, (chip) => ({ ...chip, state: 'failed', error: action.error }));
    case 'listed': {
      const byId = new Map(action.files.map((file) => [file.id, file]));
      return chips.map((chip) => {
        const file = chip.fileId === null ? undefined : byId.get(chip.fileId);
        return file && !settled(chip) ? withFile(chip, file) : chip;
      });
    }
    case 'removed':
      return chips.filter((chip) => chip.key !== action.key);
    case 'cleared':
      return chips.filter((chip) => !action.keys.includes(chip.key));
  }
}

/** Ready to be read by the model, or failed: nothing more will happen to it. */
export function settled(chip: Chip): boolean {
  return chip.state === 'ready' || chip.state === 'failed';
}

/** The server is still reading a file: worth asking again where it stands. */
export function needsPolling(chips: readonly Chip[]): boolean {
  return chips.some((chip) => chip.fileId !== null && !settled(chip));
}

/** What a message sends: the files ready (a failed one is not sent; it stays, with its reason). */
export function sendable(chips: readonly Chip[]): { keys: string[]; attachments: AttachmentView[] } {
  const ready = chips.filter((chip) => chip.state === 'ready' && chip.fileId !== null);
  return {
    keys: ready.map((chip) => chip.key),
    attachments: ready.map((chip) => ({ id: chip.fileId as string, name: chip.name, media_type: chip.mediaType })),
  };
}
