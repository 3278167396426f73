import { act, createEvent, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { FileContent } from '../../hooks/useFileContent';
import { ChatApiError } from '../../lib/errors';
import { renderMessages, savedMessage } from '../../test/messages';
import type { AttachmentView, FileView } from '../../types/files';
import { ChatWindow, type ConversationFiles } from '../ChatWindow';

function view(id: string, name: string, media_type: string, status: FileView['status']): FileView {
  return {
    id,
    name,
    media_type,
    size_bytes: 10,
    status,
    reason: null,
    pages: null,
    chunks_done: 0,
    chunks_total: null,
    created_at: '2026-12-06T10:00:00Z',
  };
}

/** The files routes in memory: an upload holds at half its bytes until `finish()`; images are ready at once,
 * anything else is read when the list is next asked for. `too.big` is refused as the api refuses it. */
function files() {
  const pending: (() => void)[] = [];
  const stored = new Map<string, FileView>();
  const api: ConversationFiles['api'] = {
    upload: (_id, file, onProgress) => {
      onProgress(0.5);
      if (file.name === 'huge.pdf') {
        return Promise.reject(new ChatApiError('payload_too_large', 'The file is over 20 MB (FILES_MAX_BYTES).', 413));
      }
      return new Promise((resolve) => {
        pending.push(() => {
          const status = file.type.startsWith('image/') ? 'ready' : 'uploaded';
          const made = view(`f${String(stored.size + 1)}`, file.name, file.type, status);
          stored.set(made.id, made);
          resolve(made);
        });
      });
    },
    files: () => {
      for (const [id, file] of stored) stored.set(id, { ...file, status: 'ready' });
      return Promise.resolve({ items: [...stored.values()] });
    },
    removeFile: vi.fn(() => Promise.resolve(undefined)),
    fileContent: () => Promise.resolve(new Blob(['x'], { type: 'image/png' })),
  };
  const finish = () => {
    act(() => {
      pending.splice(0).forEach((resolve) => {
        resolve();
      });
    });
  };
  return { api, finish };
}

function composer(onSend: (text: string, attachments?: readonly AttachmentView[]) => Promise<boolean>) {
  const { api, finish } = files();
  const ensureConversation = vi.fn(() => Promise.resolve('c1'));
  render(
    <ChatWindow
      messages={[]}
      streaming={null}
      hasEarlier={false}
      onLoadEarlier={() => undefined}
      onSend={onSend}
      onStop={() => undefined}
      onDecide={() => Promise.resolve()}
      onRetry={() => undefined}
      onEdit={() => Promise.resolve(true)}
      onShowBranch={() => undefined}
      files={{ api, conversationId: null, ensureConversation }}
    />,
  );
  return { api, finish, ensureConversation };
}

const chips = () => screen.queryAllByTestId('file-chip');
const png = () => new File([new Uint8Array([137, 80, 78, 71])], 'shot.png', { type: 'image/png' });
const pdf = () => new File(['%PDF-1.4'], 'report.pdf', { type: 'application/pdf' });

describe('attaching files', () => {
  it('by the paperclip: a chip per file with its progress, Send waiting until each is read, then sent', async () => {
    const onSend = vi.fn(() => Promise.resolve(true));
    const { finish, ensureConversation } = composer(onSend);
    const user = userEvent.setup();
    expect(screen.getByRole('button', { name: 'Attach files' })).toBeInTheDocument();
    await user.upload(screen.getByTestId('file-input'), [pdf(), png()]);
    await waitFor(() => {
      expect(chips()).toHaveLength(2);
    });
    expect(ensureConversation).toHaveBeenCalled();
    expect(chips()[0]).toHaveTextContent('report.pdf');
    expect(chips()[0]).toHaveTextContent('Uploading… 50 %');
    expect(chips()[1]?.querySelector('img')).toHaveAttribute('src', expect.stringMatching(/^blob:/) as string);
    finish();
    await waitFor(() => {
      expect(chips()[0]).toHaveAttribute('data-state', 'uploaded');
    });
    await user.type(screen.getByLabelText('Message'), 'Summarise these');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled(); // the PDF is not read yet
    await waitFor(
      () => {
        expect(chips()[0]).toHaveAttribute('data-state', 'ready');
      },
      { timeout: 2500 },
    );
    expect(chips()[0]).toHaveTextContent('Ready');
    await user.keyboard('{Enter}');
    expect(onSend).toHaveBeenCalledWith('Summarise these', [
      { id: 'f1', name: 'report.pdf', media_type: 'application/pdf' },
      { id: 'f2', name: 'shot.png', media_type: 'image/png' },
    ]);
    await waitFor(() => {
      expect(chips()).toHaveLength(0);
    });
  });

  it('keeps the chips when the message could not be sent, and says why an upload was refused', async () => {
    const onSend = vi.fn(() => Promise.resolve(false));
    const { api, finish } = composer(onSend);
    const user = userEvent.setup();
    await user.upload(screen.getByTestId('file-input'), [
      png(),
      new File(['x'], 'huge.pdf', { type: 'application/pdf' }),
    ]);
    finish();
    await waitFor(() => {
      expect(chips()[1]).toHaveAttribute('data-state', 'failed');
    });
    expect(chips()[1]).toHaveTextContent('Failed: The file is over 20 MB (FILES_MAX_BYTES).');
    await waitFor(() => {
      expect(chips()[0]).toHaveAttribute('data-state', 'ready');
    });
    await user.type(screen.getByLabelText('Message'), 'Look{Enter}');
    expect(onSend).toHaveBeenCalledWith('Look', [{ id: 'f1', name: 'shot.png', media_type: 'image/png' }]);
    expect(chips()).toHaveLength(2);
    await user.click(within(chips()[0] as HTMLElement).getByRole('button', { name: 'Remove shot.png' }));
    expect(api.removeFile).toHaveBeenCalledWith('c1', 'f1');
    expect(chips()).toHaveLength(1);
  });

  it('by pasting an image into the message field', async () => {
    composer(() => Promise.resolve(true));
    const field = screen.getByLabelText('Message');
    const paste = createEvent.paste(field, { clipboardData: { files: [png()], getData: () => '' } });
    fireEvent(field, paste);
    expect(paste.defaultPrevented).toBe(true);
    await waitFor(() => {
      expect(chips()).toHaveLength(1);
    });
    expect(chips()[0]).toHaveTextContent('shot.png');
  });

  it('by dropping files on the chat, with a drop zone in sight while they are dragged over it', async () => {
    composer(() => Promise.resolve(true));
    const region = screen.getByRole('region', { name: 'Chat' });
    const dataTransfer = { types: ['Files'], files: [pdf()], dropEffect: 'none' };
    fireEvent.dragEnter(region, { dataTransfer });
    expect(screen.getByTestId('drop-zone')).toHaveTextContent('Drop files to attach them');
    fireEvent.dragEnter(screen.getByLabelText('Message'), { dataTransfer }); // a child crossed
    fireEvent.dragLeave(region, { dataTransfer });
    expect(screen.getByTestId('drop-zone')).toBeInTheDocument();
    fireEvent.drop(region, { dataTransfer });
    expect(screen.queryByTestId('drop-zone')).not.toBeInTheDocument();
    await waitFor(() => {
      expect(chips()).toHaveLength(1);
    });
    // Text dragged within the page is not a file.
    fireEvent.dragEnter(region, { dataTransfer: { types: ['text/plain'], files: [] } });
    expect(screen.queryByTestId('drop-zone')).not.toBeInTheDocument();
  });
});

describe('a message’s files', () => {
  it('show with it: an image as a picture that opens large, a document by name', async () => {
    const { api } = files();
    const message = savedMessage('user', 'What is in these?', {
      attachments: [
        { id: 'f1', name: 'shot.png', media_type: 'image/png' },
        { id: 'f2', name: 'report.pdf', media_type: 'application/pdf' },
      ],
    });
    renderMessages([message], (list) => (
      <FileContent.Provider value={(id) => api.fileContent('c1', id)}>{list}</FileContent.Provider>
    ));
    const list = await screen.findByRole('list', { name: 'Attached files' });
    expect(within(list).getByRole('button', { name: 'Open report.pdf' })).toBeInTheDocument();
    const picture = within(list).getByRole('button', { name: 'Show shot.png large' });
    await waitFor(() => {
      expect(within(picture).getByRole('img', { name: 'shot.png' })).toHaveAttribute(
        'src',
        expect.stringMatching(/^blob:/) as string,
      );
    });
    await userEvent.setup().click(picture);
    const dialog = await screen.findByRole('dialog', { name: 'shot.png' });
    expect(within(dialog).getByRole('img', { name: 'shot.png' })).toBeInTheDocument();
  });
});
