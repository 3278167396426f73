import { Suspense, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { formatDateTime } from '../../i18n/format';
import { segmentsOf } from '../../lib/answerParts';
import { ChatApiError, isAbort, networkError } from '../../lib/errors';
import { readShared } from './readShared';
import type { SharedConversation } from '../../types/chat';
import { WithCitations } from '../Citations';
import { ErrorMessage } from '../ErrorMessage';
import { LazyMarkdown } from '../Markdown/lazy';
// The messages look as they do in the chat itself.
import turns from '../MessageList/MessageList.module.css';
import { ToolCard } from '../ToolCard';
import styles from './SharedPage.module.css';

type Loaded =
  | { kind: 'loading' }
  | { kind: 'found'; shared: SharedConversation }
  | { kind: 'missing' }
  | { kind: 'failed'; error: ChatApiError };

/** Keeps search engines off the page while it shows (nginx sends `X-Robots-Tag` for `/s/` as well). */
function useNoIndex() {
  useEffect(() => {
    const meta = document.createElement('meta');
    meta.name = 'robots';
    meta.content = 'noindex';
    document.head.append(meta);
    return () => {
      meta.remove();
    };
  }, []);
}

/** A shared conversation, read-only, for anyone with its link: no session, no inputs. */
export function SharedPage({ token }: { token: string }) {
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  useNoIndex();

  useEffect(() => {
    const controller = new AbortController();
    (token ? readShared(token, controller.signal) : Promise.resolve(null)).then(
      (shared) => {
        setLoaded(shared ? { kind: 'found', shared } : { kind: 'missing' });
      },
      (error: unknown) => {
        if (isAbort(error)) return;
        setLoaded({ kind: 'failed', error: error instanceof ChatApiError ? error : networkError() });
      },
    );
    return () => {
      controller.abort();
    };
  }, [token]);

  useEffect(() => {
    if (loaded.kind === 'found') document.title = loaded.shared.title;
  }, [loaded]);

  return (
    <main className={styles.page}>
      {loaded.kind === 'loading' && <p className={styles.muted}>{t('shared.loading')}</p>}
      {loaded.kind === 'missing' && <NotFound />}
      {loaded.kind === 'failed' && (
        <p role="alert" className={styles.error}>
          <ErrorMessage error={loaded.error} />
        </p>
      )}
      {loaded.kind === 'found' && <Conversation shared={loaded.shared} />}
    </main>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <section className={styles.missing}>
      <h1>{t('shared.notFound')}</h1>
      <p>{t('shared.notFoundDetail')}</p>
      <a href="/">{t('shared.home')}</a>
    </section>
  );
}

function Conversation({ shared }: { shared: SharedConversation }) {
  const { t, i18n } = useTranslation();
  return (
    <article className={styles.conversation}>
      <header className={styles.header}>
        <h1 dir="auto">{shared.title}</h1>
        <p className={styles.muted}>
          {t('shared.sharedAt', { date: formatDateTime(shared.shared_at, i18n.language) })}{' '}
          <a href="/">{t('shared.home')}</a>
        </p>
      </header>
      <ol className={styles.messages}>
        {shared.messages.map((message, index) =>
          message.role === 'user' ? (
            <li key={index} className={`${turns.turn} ${turns.user}`} aria-label={t('message.you')}>
              <p className={turns.plainText} dir="auto">
                {message.content}
              </p>
            </li>
          ) : (
            <li
              key={index}
              className={`${turns.turn} ${turns.assistant}`}
              aria-label={t('message.assistant')}
              data-testid="shared-answer"
            >
              {message.parts ? <SharedParts parts={message.parts} /> : <SharedText text={message.content} />}
              {message.status === 'stopped' && <p className={styles.muted}>{t('message.stopped')}</p>}
            </li>
          ),
        )}
      </ol>
    </article>
  );
}

type SharedMessage = SharedConversation['messages'][number];

/** An answer that called tools or cited: its text and a card per call, in order, as the owner saw it, with its
 * sources (their passages, not the files: a share carries no attachments). */
function SharedParts({ parts }: { parts: NonNullable<SharedMessage['parts']> }) {
  const segments = useMemo(() => segmentsOf(parts), [parts]);
  return (
    <WithCitations parts={parts}>
      {segments.map((segment) =>
        segment.kind === 'text' ? (
          <SharedText key={segment.key} text={segment.text} />
        ) : (
          <ToolCard key={segment.key} call={segment.call} result={segment.result} underway={false} />
        ),
      )}
    </WithCitations>
  );
}

/** Markdown, as plain text for the moment before the renderer has loaded. */
function SharedText({ text }: { text: string }) {
  return (
    <Suspense
      fallback={
        <p className={turns.plainText} dir="auto">
          {text}
        </p>
      }
    >
      <LazyMarkdown text={text} />
    </Suspense>
  );
}
