import { describe, expect, it } from 'vitest';

import { chunkedBody, splitBytes, sse } from '../test/fakeFetch';
import { readAnswer } from './answerStream';
import { ChatApiError } from './errors';

function withId(id: number, event: string, data: unknown): string {
  return `id: ${id}\n${sse(event, data)}`;
}

const START = {
  request_id: 'r1',
  model: 'chat',
  conversation_id: 'c1',
  user_message_id: 'u1',
  assistant_message_id: 'a1',
};
const FULL =
  withId(1, 'start', START) +
  ': keep-alive\n\n' +
  withId(2, 'delta', { text: 'Grüß ' }) +
  withId(3, 'delta', { text: 'こんにちは 🚀' }) +
  withId(4, 'usage', { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }) +
  withId(5, 'done', { finish_reason: 'stop' });

function collect() {
  const seen = {
    deltas: [] as string[],
    start: undefined as unknown,
    usage: undefined as unknown,
    snapshots: [] as unknown[],
    tools: [] as unknown[],
    citations: [] as unknown[],
  };
  return {
    seen,
    handlers: {
      onStart: (info: unknown) => (seen.start = info),
      onDelta: (text: string) => seen.deltas.push(text),
      onUsage: (usage: unknown) => (seen.usage = usage),
      onSnapshot: (snapshot: unknown) => seen.snapshots.push(snapshot),
      onTool: (tool: unknown) => seen.tools.push(tool),
      onCitation: (citation: unknown) => seen.citations.push(citation),
    },
  };
}

describe('readAnswer', () => {
  it.each([1, 3, 7, 64])('parses events split every %i bytes, mid-event and mid-character', async (every) => {
    const { seen, handlers } = collect();
    const end = await readAnswer(chunkedBody(splitBytes(FULL, every)), handlers);
    expect(end).toEqual({ kind: 'done', finishReason: 'stop' });
    expect(seen.start).toEqual(START);
    expect(seen.deltas.join('')).toBe('Grüß こんにちは 🚀');
    expect(seen.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it('hands each citation on as it comes, between the deltas', async () => {
    const citation = { number: 1, file_id: 'f1', file: 'a.pdf', page: 3, section: null, text: 'The passage.' };
    const { seen, handlers } = collect();
    const body =
      withId(1, 'delta', { text: 'It is so [' }) +
      withId(2, 'citation', citation) +
      withId(3, 'delta', { text: '1].' });
    const end = await readAnswer(
      chunkedBody(splitBytes(body + withId(4, 'done', { finish_reason: 'stop' }), 5)),
      handlers,
    );
    expect(end).toEqual({ kind: 'done', finishReason: 'stop' });
    expect(seen.citations).toEqual([citation]);
    expect(seen.deltas.join('')).toBe('It is so [1].');
  });

  it('ends with the error event the server sent', async () => {
    const body = chunkedBody([
      withId(1, 'delta', { text: 'a' }),
      withId(2, 'error', { code: 'upstream_unavailable', message: 'Lost.' }),
    ]);
    const end = await readAnswer(body, collect().handlers);
    expect(end.kind).toBe('error');
    if (end.kind === 'error') {
      expect(end.error).toBeInstanceOf(ChatApiError);
      expect(end.error.toInfo()).toEqual({ code: 'upstream_unavailable', message: 'Lost.' });
    }
  });

  it('says where a cut connection stopped, so the rest can be asked for', async () => {
    const cut = await readAnswer(
      chunkedBody([withId(7, 'delta', { text: 'a' }), withId(8, 'delta', { text: 'b' })], { cut: true }),
      collect().handlers,
    );
    expect(cut).toEqual({ kind: 'cut', lastEventId: '8' });
    const closed = await readAnswer(chunkedBody([withId(9, 'delta', { text: 'c' })]), collect().handlers, '8');
    expect(closed).toEqual({ kind: 'cut', lastEventId: '9' });
    const nothing = await readAnswer(chunkedBody([], { cut: true }), collect().handlers, '9');
    expect(nothing).toEqual({ kind: 'cut', lastEventId: '9' });
  });

  it('hands the tool events on by name, in order with the text, each with its id', async () => {
    const call = { call_id: 'c1', tool: 'builtin-remember', arguments: '{"fact":', complete: false };
    const whole = { ...call, arguments: '{"fact": "tea"}', complete: true };
    const asked = { call_id: 'c1', tool: 'builtin-remember', arguments: whole.arguments, expires_at: 'soon' };
    const decided = { call_id: 'c1', decision: 'allow_once' };
    const result = { call_id: 'c1', tool: 'builtin-remember', status: 'ok', preview: 'Saved.', duration_ms: 4 };
    const { seen, handlers } = collect();
    const body =
      withId(1, 'delta', { text: 'One moment. ' }) +
      withId(2, 'tool_call', call) +
      withId(3, 'tool_call', whole) +
      withId(4, 'approval_required', asked) +
      withId(5, 'approval_decided', decided) +
      withId(6, 'tool_result', result);
    const end = await readAnswer(chunkedBody(splitBytes(body, 5), { cut: true }), handlers);
    expect(seen.deltas).toEqual(['One moment. ']);
    expect(seen.tools).toEqual([
      { name: 'tool_call', data: call },
      { name: 'tool_call', data: whole },
      { name: 'approval_required', data: asked },
      { name: 'approval_decided', data: decided },
      { name: 'tool_result', data: result },
    ]);
    expect(end).toEqual({ kind: 'cut', lastEventId: '6' }); // followed again after the result, not before
  });

  it('hands a snapshot on and ignores events it does not know', async () => {
    const snapshot = { assistant_message_id: 'a1', content: 'all of it', status: 'done' };
    const { seen, handlers } = collect();
    const end = await readAnswer(
      chunkedBody([sse('future', { x: 1 }) + sse('snapshot', snapshot) + sse('done', { finish_reason: 'stop' })]),
      handlers,
    );
    expect(seen.snapshots).toEqual([snapshot]);
    expect(end.kind).toBe('done');
  });

  it('after a snapshot, a cut reader starts over (its old event id would add text twice)', async () => {
    const snapshot = { assistant_message_id: 'a1', content: 'so far', status: 'streaming' };
    const end = await readAnswer(chunkedBody([sse('snapshot', snapshot)], { cut: true }), collect().handlers, '8');
    expect(end).toEqual({ kind: 'cut', lastEventId: null });
  });

  it('lets the connection go when the device goes offline, saying where it stopped', async () => {
    let push: (chunk: Uint8Array<ArrayBuffer>) => void = () => undefined;
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        push = (chunk) => {
          controller.enqueue(chunk);
        };
      },
    });
    const reading = readAnswer(body, collect().handlers);
    push(new TextEncoder().encode(withId(4, 'delta', { text: 'so far' })));
    await new Promise((resolve) => setTimeout(resolve, 0));
    window.dispatchEvent(new Event('offline'));
    expect(await reading).toEqual({ kind: 'cut', lastEventId: '4' });
  });
});
