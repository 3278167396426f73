import type { SearchHit } from '../../types/chat';

/** The matched words marked: the api sends the snippet as plain segments, rendered as text, never as HTML. */
export function Snippet({ parts }: { parts: SearchHit['snippet'] }) {
  return (
    <>
      {parts.map((part, index) =>
        part.match ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>,
      )}
    </>
  );
}
