import { describe, expect, it } from 'vitest';

import type { FileView } from '../types/files';
import { needsPolling, newChip, sendable, uploadsReducer, type Chip, type UploadAction } from './uploads';

function view(status: FileView['status'], extra: Partial<FileView> = {}): FileView {
  return {
    id: 'f1',
    name: 'report.pdf',
    media_type: 'application/pdf',
    size_bytes: 2048,
    status,
    reason: null,
    pages: 3,
    chunks_done: 0,
    chunks_total: null,
    created_at: '2026-12-06T10:00:00Z',
    ...extra,
  };
}

const run = (actions: UploadAction[], start: Chip[] = []) => actions.reduce(uploadsReducer, start);
const added: UploadAction = { type: 'added', chips: [newChip('k1', { name: 'report.pdf', type: '' })] };

describe('the composer’s files', () => {
  it('go from uploading (with the share sent) through the server’s states to ready, polling meanwhile', () => {
    let chips = run([added, { type: 'progress', key: 'k1', sent: 0.42 }]);
    expect(chips[0]).toMatchObject({
      state: 'uploading',
      sent: 0.42,
      fileId: null,
      mediaType: 'application/octet-stream',
    });
    expect(needsPolling(chips)).toBe(false); // nothing on the server yet
    chips = run([{ type: 'progress', key: 'k1', sent: 0.3 }], chips);
    expect(chips[0]?.sent).toBe(0.42); // progress never goes back
    chips = run([{ type: 'uploaded', key: 'k1', file: view('uploaded') }], chips);
    expect(chips[0]).toMatchObject({ state: 'uploaded', fileId: 'f1', mediaType: 'application/pdf' });
    expect(needsPolling(chips)).toBe(true);
    chips = run([{ type: 'listed', files: [view('embedding', { chunks_done: 3, chunks_total: 10 })] }], chips);
    expect(chips[0]).toMatchObject({ state: 'embedding', chunksDone: 3, chunksTotal: 10 });
    expect(sendable(chips).attachments).toEqual([]); // not before it is ready
    chips = run([{ type: 'listed', files: [view('ready', { chunks_done: 10, chunks_total: 10 })] }], chips);
    expect(chips[0]?.state).toBe('ready');
    expect(needsPolling(chips)).toBe(false);
    expect(sendable(chips)).toEqual({
      keys: ['k1'],
      attachments: [{ id: 'f1', name: 'report.pdf', media_type: 'application/pdf' }],
    });
  });

  it('fail with the upload’s error, or with the reason reading failed, and are not sent', () => {
    const refused = run([
      added,
      { type: 'refused', key: 'k1', error: { code: 'payload_too_large', message: 'Over 20 MB.' } },
    ]);
    expect(refused[0]).toMatchObject({ state: 'failed', error: { code: 'payload_too_large' } });
    const unread = run([
      added,
      { type: 'uploaded', key: 'k1', file: view('extracting') },
      { type: 'listed', files: [view('failed', { reason: 'The PDF is encrypted.' })] },
    ]);
    expect(unread[0]).toMatchObject({ state: 'failed', reason: 'The PDF is encrypted.' });
    expect(needsPolling(unread)).toBe(false);
    expect(sendable(unread).keys).toEqual([]);
  });

  it('keep a settled chip as it is when a later list says otherwise, and leave other files alone', () => {
    const ready = run([added, { type: 'uploaded', key: 'k1', file: view('ready') }]);
    const listed = run([{ type: 'listed', files: [view('embedding'), { ...view('ready'), id: 'other' }] }], ready);
    expect(listed).toEqual(ready);
  });

  it('go when removed, or when sent', () => {
    const two = run([added, { type: 'added', chips: [newChip('k2', { name: 'b.png', type: 'image/png' })] }]);
    expect(run([{ type: 'removed', key: 'k1' }], two).map((chip) => chip.key)).toEqual(['k2']);
    expect(run([{ type: 'cleared', keys: ['k1', 'k2'] }], two)).toEqual([]);
  });
});
