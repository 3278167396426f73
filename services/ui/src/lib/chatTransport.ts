/**
 * How an answer reaches the page, apart from any UI framework (as vercel/ai keeps its `ChatTransport` apart
 * from `useChat`): send a message, retry an answer or follow one already being written; read its events;
 * follow it again from the last event id (`Last-Event-ID`) whenever the connection drops, with backoff; and
 * Stop. The hook that uses it keeps the state and paints it.
 */
import type { AnswerChoice, ErrorInfo, FinishReason, Snapshot, StartInfo, Usage } from '../types/chat';
import type { CitationEvent } from '../types/files';
import type { ToolEvent } from '../types/tools';
import { readAnswer, type AnswerEnd, type Body } from './answerStream';
import type { Api } from './api';
import { ChatApiError, interruptedError, isAbort } from './errors';
import { newId } from './ids';
import { stopAnswer } from './stopAnswer';

export const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];
/** A send whose request may not have arrived is tried again this often (the same idempotency key). */
const SEND_ATTEMPTS = 3;
const SEND_RETRY_BASE_MS = 500;

export type TransportApi = Pick<Api, 'send' | 'retry' | 'follow' | 'stop'>;

/** What happens to an answer while it is read, in order. No method is called after `abort()`. */
export interface AnswerListener {
  /** The server accepted the message and named the answer (and, for a new message, the user's). */
  onStart(info: StartInfo): void;
  /** The answer's events start again from the first (a replay): the text from here replaces what is shown. */
  onRestart(): void;
  onDelta(text: string): void;
  /** A tool call's arguments, its approval asked for or decided, its result. */
  onTool(event: ToolEvent): void;
  /** The passage a `[number]` of the answer refers to, before the text that completes the marker. */
  onCitation(citation: CitationEvent): void;
  onUsage(usage: Usage): void;
  onSnapshot(snapshot: Snapshot): void;
  /** The connection dropped and the answer is being followed again (true), or it is back (false). */
  onReconnecting(reconnecting: boolean): void;
  /** A Stop reached no server writing the answer, even when sent again (see `stopAnswer`). */
  onStopUnreached?(error: ChatApiError): void;
}

export type AnswerOutcome =
  /** `started`: the server named the answer (a request refused before that has nothing saved). */
  | { kind: 'done'; finishReason: FinishReason; started: boolean }
  | { kind: 'error'; error: ErrorInfo; started: boolean }
  /** `abort()` was called: the answer goes on on the server, unread. */
  | { kind: 'aborted' };

export interface AnswerRun {
  /** Asks the server to stop the answer: at once, or as soon as the server names it. */
  stop(): void;
  /** Stops reading and closes the connection; the answer goes on on the server. */
  abort(): void;
  readonly outcome: Promise<AnswerOutcome>;
}

export interface ChatTransport {
  /** A new message after `parentId` (an answer; null: the first message; undefined: the end of the branch),
   * with the conversation's files `attachments` (their ids). */
  send(
    conversationId: string,
    text: string,
    options: AnswerChoice,
    parentId: string | null | undefined,
    listener: AnswerListener,
    attachments?: readonly string[],
  ): AnswerRun;
  /** Another answer to the message `answerId` answered. */
  retry(conversationId: string, answerId: string, options: AnswerChoice, listener: AnswerListener): AnswerRun;
  /** An answer already being written (the page was reloaded, or opened in another tab): from its first event. */
  resume(answerId: string, listener: AnswerListener): AnswerRun;
}

export interface TransportTiming {
  reconnectDelaysMs?: readonly number[];
  sendRetryBaseMs?: number;
}

/** Waits `ms`, or less if the device comes back online; rejects if `signal` aborts. Leaves no listener. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    const settle = (then: () => void) => {
      window.clearTimeout(timer);
      window.removeEventListener('online', wake);
      signal.removeEventListener('abort', aborted);
      then();
    };
    const wake = () => {
      settle(resolve);
    };
    const aborted = () => {
      settle(() => {
        reject(new DOMException('aborted', 'AbortError'));
      });
    };
    const timer = window.setTimeout(wake, ms);
    window.addEventListener('online', wake); // back online: try at once
    signal.addEventListener('abort', aborted);
  });
}

/** The network, or a server restarting (nginx answers 502/503 meanwhile): worth following again. */
function passing(error: unknown): boolean {
  return error instanceof ChatApiError && (error.code === 'network_error' || (error.status ?? 0) >= 500);
}

function errorInfo(error: unknown): ErrorInfo {
  return error instanceof ChatApiError
    ? error.toInfo()
    : { code: 'client_error', message: 'Something went wrong in the page. Retry.' };
}

export function createChatTransport(api: TransportApi, timing: TransportTiming = {}): ChatTransport {
  const delays = timing.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
  const sendRetryBaseMs = timing.sendRetryBaseMs ?? SEND_RETRY_BASE_MS;

  /** Reads one answer to its end. `answerId`: known already (resume), or null until the `start` event. */
  function run(
    open: (signal: AbortSignal) => Promise<Body>,
    knownAnswerId: string | null,
    listener: AnswerListener,
  ): AnswerRun {
    const abort = new AbortController();
    const { signal } = abort;
    let answerId = knownAnswerId;
    let stopWanted = false;
    // Without a last event id the events come from the first: a replay, which replaces what is shown.
    let replay = knownAnswerId !== null;

    const stopNow = (id: string) =>
      void stopAnswer(api, id).then((error) => {
        if (error && !signal.aborted) listener.onStopUnreached?.(error);
      });
    const live = <T>(call: (value: T) => void) => {
      return (value: T) => {
        if (!signal.aborted) call(value);
      };
    };
    const handlers = {
      onStart: live((info: StartInfo) => {
        if (answerId === null) {
          answerId = info.assistant_message_id;
          listener.onStart(info);
          if (stopWanted) stopNow(answerId);
        }
        if (replay) listener.onRestart();
      }),
      onDelta: live((text: string) => {
        listener.onDelta(text);
      }),
      onTool: live((event: ToolEvent) => {
        listener.onTool(event);
      }),
      onCitation: live((citation: CitationEvent) => {
        listener.onCitation(citation);
      }),
      onUsage: live((usage: Usage) => {
        listener.onUsage(usage);
      }),
      onSnapshot: live((snapshot: Snapshot) => {
        listener.onSnapshot(snapshot);
      }),
    };

    const read = async (): Promise<AnswerOutcome> => {
      const started = () => answerId !== null;
      const aborted = () => signal.aborted; // read afresh: an await may have seen it change
      try {
        let end: AnswerEnd = await readAnswer(await open(signal), handlers, null, signal);
        for (let attempt = 0; end.kind === 'cut' && !aborted(); attempt++) {
          if (answerId === null) throw interruptedError(); // nothing named to follow again
          listener.onReconnecting(true);
          await pause(delays[Math.min(attempt, delays.length - 1)] ?? 8000, signal);
          const lastEventId = end.lastEventId;
          try {
            replay = lastEventId === null;
            const body = await api.follow(answerId, lastEventId, signal);
            if (!aborted()) listener.onReconnecting(false);
            end = await readAnswer(body, handlers, lastEventId, signal);
          } catch (error) {
            if (isAbort(error) || !passing(error)) throw error;
          }
        }
        if (aborted()) return { kind: 'aborted' };
        if (end.kind === 'done') return { kind: 'done', finishReason: end.finishReason, started: started() };
        if (end.kind === 'error') return { kind: 'error', error: end.error.toInfo(), started: started() };
        return { kind: 'aborted' }; // a cut only ends the loop once aborted
      } catch (error) {
        if (aborted() || isAbort(error)) return { kind: 'aborted' };
        return { kind: 'error', error: errorInfo(error), started: started() };
      }
    };

    return {
      stop() {
        if (answerId === null)
          stopWanted = true; // the server has not named it yet: stop it when it does
        else stopNow(answerId);
      },
      abort() {
        abort.abort();
      },
      outcome: read(),
    };
  }

  return {
    send(conversationId, text, options, parentId, listener, attachments = []) {
      const key = newId();
      const open = async (signal: AbortSignal) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await api.send(conversationId, text, options, key, parentId, attachments);
          } catch (error) {
            // The request may not have arrived: the same key makes a second try safe (never a second answer).
            const again = error instanceof ChatApiError && error.code === 'network_error';
            if (!again || attempt >= SEND_ATTEMPTS - 1) throw error;
            await pause(sendRetryBaseMs * 2 ** attempt, signal);
          }
        }
      };
      return run(open, null, listener);
    },
    retry(conversationId, answerId, options, listener) {
      return run(() => api.retry(conversationId, answerId, options), null, listener);
    },
    resume(answerId, listener) {
      return run((signal) => api.follow(answerId, null, signal), answerId, listener);
    },
  };
}
