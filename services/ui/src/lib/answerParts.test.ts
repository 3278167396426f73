import { describe, expect, it } from 'vitest';

import type { AnswerPart, ToolEvent, ToolStatus } from '../types/tools';
import type { CitationEvent } from '../types/files';
import {
  citationsOf,
  pendingApprovals,
  prettyJson,
  segmentsOf,
  toolName,
  withCitation,
  withText,
  withToolEvent,
} from './answerParts';

const call = (call_id: string, text: string, complete = false): ToolEvent => ({
  name: 'tool_call',
  data: { call_id, tool: 'builtin-calculate', arguments: text, complete },
});
const result = (call_id: string, status: ToolStatus = 'ok', preview = '42'): ToolEvent => ({
  name: 'tool_result',
  data: { call_id, tool: 'builtin-calculate', status, preview, duration_ms: 12 },
});

/** An answer's text and events, in the order they came, reduced as the conversation's reducer does. */
function reduce(steps: (string | ToolEvent)[]): { content: string; parts: AnswerPart[] | null } {
  let content = '';
  let parts: AnswerPart[] | null = null;
  for (const step of steps) {
    if (typeof step === 'string') {
      content += step;
      parts = withText(parts, step);
    } else {
      parts = withToolEvent(parts, content, step);
    }
  }
  return { content, parts };
}

describe('an answer’s parts', () => {
  it('stay null for an answer without tools: its text is its content alone', () => {
    expect(reduce(['Hel', 'lo'])).toEqual({ content: 'Hello', parts: null });
  });

  it('reassemble the fragments of two interleaved calls by call id, in the order the calls began', () => {
    const { parts } = reduce([
      'Let me work it out. ',
      call('a', '{"expr'),
      call('b', '{"timez'),
      call('a', 'ession": "6*7"}'),
      call('b', 'one": "UTC"}'),
    ]);
    expect(parts).toEqual([
      { type: 'text', text: 'Let me work it out. ' },
      {
        type: 'tool_call',
        call_id: 'a',
        tool: 'builtin-calculate',
        arguments: '{"expression": "6*7"}',
        complete: false,
      },
      { type: 'tool_call', call_id: 'b', tool: 'builtin-calculate', arguments: '{"timezone": "UTC"}', complete: false },
    ]);
  });

  it('take the complete event’s arguments in place of the fragments, and ignore a fragment after it', () => {
    const { parts } = reduce([
      call('a', '{"expr'),
      call('a', 'garbled'),
      call('a', '{"x": 1}', true),
      call('a', 'late'),
    ]);
    expect(parts).toEqual([
      { type: 'tool_call', call_id: 'a', tool: 'builtin-calculate', arguments: '{"x": 1}', complete: true },
    ]);
  });

  it('put a result after its call, then the next round’s text after it; a card holds the call and its result', () => {
    const { content, parts } = reduce([
      'Before. ',
      call('a', '{}', true),
      call('b', '{}', true),
      result('b', 'error', 'Division by zero.'),
      result('a'),
      'After.',
    ]);
    expect(content).toBe('Before. After.');
    expect(
      parts?.map((part) =>
        part.type === 'text' ? part.text : `${part.type}:${part.type === 'citation' ? part.number : part.call_id}`,
      ),
    ).toEqual(['Before. ', 'tool_call:a', 'tool_call:b', 'tool_result:b', 'tool_result:a', 'After.']);
    const segments = segmentsOf(parts ?? []);
    expect(segments.map((s) => (s.kind === 'text' ? s.text : `${s.key}:${s.result?.status ?? 'none'}`))).toEqual([
      'Before. ',
      'a:ok',
      'b:error',
      'After.',
    ]);
  });

  it('a call stopped while it ran ends cancelled', () => {
    const { parts } = reduce([call('a', '{}', true), result('a', 'cancelled', '')]);
    expect(segmentsOf(parts ?? [])).toEqual([
      {
        kind: 'tool',
        key: 'a',
        call: { type: 'tool_call', call_id: 'a', tool: 'builtin-calculate', arguments: '{}', complete: true },
        result: {
          type: 'tool_result',
          call_id: 'a',
          tool: 'builtin-calculate',
          status: 'cancelled',
          preview: '',
          duration_ms: 12,
        },
      },
    ]);
  });

  it('the same result again (a replay that overlapped) replaces the first, never a second card', () => {
    const { parts } = reduce([call('a', '{}', true), result('a', 'ok', 'one'), result('a', 'ok', 'two')]);
    expect(parts?.filter((part) => part.type === 'tool_result')).toHaveLength(1);
    expect(segmentsOf(parts ?? [])[0]).toMatchObject({ result: { preview: 'two' } });
  });

  it('a result whose call was never seen still shows, on a card of its own', () => {
    expect(
      segmentsOf([{ type: 'tool_result', call_id: 'x', tool: 't', status: 'ok', preview: '', duration_ms: 1 }]),
    ).toMatchObject([{ kind: 'tool', key: 'x', call: null, result: { call_id: 'x' } }]);
  });

  it('a call waits for approval until it is decided, or its result comes', () => {
    const asked: ToolEvent = {
      name: 'approval_required',
      data: {
        call_id: 'a',
        tool: 'builtin-remember',
        arguments: '{"fact": "tea"}',
        expires_at: '2026-12-06T05:10:00Z',
      },
    };
    let { parts } = reduce([call('a', '{"fact": "tea"}', true), asked]);
    expect(pendingApprovals(parts).map((c) => [c.call_id, c.approval?.expires_at])).toEqual([
      ['a', '2026-12-06T05:10:00Z'],
    ]);
    parts = withToolEvent(parts, '', { name: 'approval_decided', data: { call_id: 'a', decision: 'deny' } });
    expect(pendingApprovals(parts)).toEqual([]);

    ({ parts } = reduce([call('a', '{}', true), asked, result('a', 'timeout', 'No decision in time.')]));
    expect(pendingApprovals(parts)).toEqual([]);
    // An approval for a call not seen yet (its events expired) still asks.
    expect(pendingApprovals(reduce([asked]).parts)).toHaveLength(1);
  });
});

describe('a tool’s name and arguments', () => {
  it('show the name after the first dash, and where the tool comes from', () => {
    expect(toolName('builtin-current_time')).toEqual({ name: 'current_time', source: 'builtin' });
    expect(toolName('docs-search-files')).toEqual({ name: 'search-files', source: 'docs' });
    expect(toolName('plain')).toEqual({ name: 'plain', source: null });
  });

  it('pretty-print JSON that parses, and leave the rest as it is', () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":')).toBe('{"a":');
  });
});

const cite = (number: number, page: number | null = 2): CitationEvent => ({
  number,
  file_id: 'f1',
  file: 'report.pdf',
  page,
  section: 'Results',
  text: 'Revenue grew by 12 %.',
});

describe('an answer’s citations', () => {
  it('turn the text so far into parts, and keep the text around them one segment (a marker split across them)', () => {
    let content = 'Revenue grew [';
    let parts: AnswerPart[] | null = withCitation(null, content, cite(1));
    for (const text of ['1', '] in 2026.']) {
      content += text;
      parts = withText(parts, text);
    }
    expect(parts?.map((part) => part.type)).toEqual(['text', 'citation', 'text']);
    expect(segmentsOf(parts ?? [])).toEqual([{ kind: 'text', key: 'text-0', text: 'Revenue grew [1] in 2026.' }]);
    expect(citationsOf(parts).get(1)).toMatchObject({ type: 'citation', file: 'report.pdf', page: 2 });
  });

  it('keep their number: one seen again (a replay) replaces the one before, in place', () => {
    const parts = withCitation(withCitation(withCitation(null, '', cite(1)), '', cite(2)), '', cite(1, 9));
    expect(
      parts.map((part) => (part.type === 'citation' ? `${String(part.number)}:${String(part.page)}` : '')),
    ).toEqual(['1:9', '2:2']);
  });

  it('stay out of the way of tool cards', () => {
    const parts = [
      ...withToolEvent(null, 'Looking. ', call('a', '{}', true)),
      {
        type: 'tool_result',
        call_id: 'a',
        tool: 'builtin-search_documents',
        status: 'ok',
        preview: '…',
        duration_ms: 3,
      },
      { type: 'text', text: 'It grew [1]' },
      { type: 'citation', ...cite(1) },
      { type: 'text', text: '.' },
    ] as AnswerPart[];
    expect(segmentsOf(parts).map((segment) => (segment.kind === 'text' ? segment.text : segment.kind))).toEqual([
      'Looking. ',
      'tool',
      'It grew [1].',
    ]);
    expect(citationsOf(null).size).toBe(0);
  });
});
