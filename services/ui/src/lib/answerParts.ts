/** An answer as a list of parts (text, tool call, tool result, citation, text…): the stream's events reduced
 * into them, and the cards they show as. Pure functions, so the reducer stays pure and each step is testable.
 *
 * An answer without tools or citations keeps `parts: null` and its text in `content` alone, as before tools
 * existed; its first tool or citation event turns the text so far into the first part. */
import type { CitationEvent, CitationPart } from '../types/files';
import type { AnswerPart, ShownToolCall, ToolEvent, ToolResultPart } from '../types/tools';

function isCall(part: AnswerPart, callId: string): part is ShownToolCall {
  return part.type === 'tool_call' && part.call_id === callId;
}

/** `text` after the last part: the last text part grows, or a new one starts after a tool. */
export function withText(parts: AnswerPart[] | null, text: string): AnswerPart[] | null {
  if (parts === null || !text) return parts;
  const last = parts.at(-1);
  if (last?.type === 'text') return [...parts.slice(0, -1), { type: 'text', text: last.text + text }];
  return [...parts, { type: 'text', text }];
}

/** The call `callId` changed in place; a call not seen yet (its first event missed) is added at the end. */
function withCall(
  parts: AnswerPart[],
  callId: string,
  change: (call: ShownToolCall | undefined) => ShownToolCall,
): AnswerPart[] {
  const index = parts.findIndex((part) => isCall(part, callId));
  if (index === -1) return [...parts, change(undefined)];
  return parts.map((part, at) => (at === index ? change(part as ShownToolCall) : part));
}

/** One tool event applied to an answer's parts (`content`: its text so far, the first part if none yet). */
export function withToolEvent(parts: AnswerPart[] | null, content: string, event: ToolEvent): AnswerPart[] {
  const current: AnswerPart[] = parts ?? (content ? [{ type: 'text', text: content }] : []);
  switch (event.name) {
    case 'tool_call': {
      const { call_id, tool, arguments: text, complete } = event.data;
      return withCall(current, call_id, (call) => {
        if (!call) return { type: 'tool_call', call_id, tool, arguments: text, complete };
        if (complete) return { ...call, arguments: text, complete: true }; // the whole text replaces fragments
        if (call.complete) return call; // a late fragment of a call already whole
        return { ...call, arguments: call.arguments + text };
      });
    }
    case 'approval_required': {
      const { call_id, tool, arguments: text, expires_at } = event.data;
      return withCall(current, call_id, (call) => ({
        ...(call ?? { type: 'tool_call', call_id, tool }),
        arguments: text,
        complete: true,
        approval: { expires_at },
      }));
    }
    case 'approval_decided': {
      const { call_id } = event.data;
      if (!current.some((part) => isCall(part, call_id))) return current;
      return withCall(current, call_id, (call) => ({ ...(call as ShownToolCall), approval: null }));
    }
    case 'tool_result': {
      const result: ToolResultPart = { type: 'tool_result', ...event.data };
      const settled = current.map((part) =>
        isCall(part, result.call_id) && part.approval ? { ...part, approval: null } : part,
      );
      const known = settled.findIndex((part) => part.type === 'tool_result' && part.call_id === result.call_id);
      if (known !== -1) return settled.map((part, at) => (at === known ? result : part)); // the same, again
      return [...settled, result];
    }
  }
}

/** A `citation` event applied to an answer's parts: its passage, at the place in the text it came (a number
 * seen again, after a replay, replaces the one before). */
export function withCitation(parts: AnswerPart[] | null, content: string, event: CitationEvent): AnswerPart[] {
  const current: AnswerPart[] = parts ?? (content ? [{ type: 'text', text: content }] : []);
  const citation: CitationPart = { type: 'citation', ...event };
  const known = current.findIndex((part) => part.type === 'citation' && part.number === event.number);
  if (known !== -1) return current.map((part, at) => (at === known ? citation : part));
  return [...current, citation];
}

/** An answer's citations by number. */
export function citationsOf(parts: readonly AnswerPart[] | null): Map<number, CitationPart> {
  const found = new Map<number, CitationPart>();
  for (const part of parts ?? []) if (part.type === 'citation') found.set(part.number, part);
  return found;
}

/** What an answer shows, in order: its text, and a card per tool call holding the call's result. A citation
 * shows in the text that cites it (and in the sources under the answer): the text either side of it stays
 * one segment, so a marker or a paragraph it splits renders whole. */
export type Segment =
  | { kind: 'text'; key: string; text: string }
  | { kind: 'tool'; key: string; call: ShownToolCall | null; result: ToolResultPart | null };

export function segmentsOf(parts: readonly AnswerPart[]): Segment[] {
  const results = new Map<string, ToolResultPart>();
  const called = new Set<string>();
  for (const part of parts) {
    if (part.type === 'tool_result') results.set(part.call_id, part);
    else if (part.type === 'tool_call') called.add(part.call_id);
  }
  const segments: Segment[] = [];
  parts.forEach((part, index) => {
    if (part.type === 'text') {
      const last = segments.at(-1);
      if (last?.kind === 'text') last.text += part.text;
      else if (part.text) segments.push({ kind: 'text', key: `text-${String(index)}`, text: part.text });
    } else if (part.type === 'citation') {
      // in the text around it
    } else if (part.type === 'tool_call') {
      segments.push({ kind: 'tool', key: part.call_id, call: part, result: results.get(part.call_id) ?? null });
    } else if (!called.has(part.call_id)) {
      // a result whose call was never seen still shows, on a card of its own
      segments.push({ kind: 'tool', key: part.call_id, call: null, result: part });
    }
  });
  return segments;
}

/** The calls waiting for the user's decision, in the order the model made them. */
export function pendingApprovals(parts: readonly AnswerPart[] | null): ShownToolCall[] {
  if (!parts) return [];
  const decided = new Set(parts.filter((part) => part.type === 'tool_result').map((part) => part.call_id));
  return parts.filter(
    (part): part is ShownToolCall => part.type === 'tool_call' && !!part.approval && !decided.has(part.call_id),
  );
}

/** `builtin-current_time` → `current_time`, from `builtin`: the name after the first `-`, and its source. */
export function toolName(qualified: string): { name: string; source: string | null } {
  const dash = qualified.indexOf('-');
  if (dash <= 0) return { name: qualified, source: null };
  return { name: qualified.slice(dash + 1), source: qualified.slice(0, dash) };
}

/** JSON text pretty-printed when it parses, else as it is (arguments still streaming, a cut preview). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
