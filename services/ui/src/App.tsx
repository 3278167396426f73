import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import styles from './App.module.css';
import { AccountPanel } from './components/AccountPanel';
import { ChatWindow, type MessageTarget } from './components/ChatWindow';
import { ConversationActions, type ExportFormat } from './components/ConversationActions';
import { ConversationList } from './components/ConversationList';
import { ErrorMessage } from './components/ErrorMessage';
import { ImportOffer } from './components/ImportOffer';
import { ModelPicker } from './components/ModelPicker';
import { LazySearchDialog } from './components/SearchDialog/lazy';
import { LazyShareDialog } from './components/ShareDialog/lazy';
import { LazySharedPage } from './components/SharedPage/lazy';
import { SettingsPanel } from './components/SettingsPanel';
import { ProviderSignIn, SignInError, SignInPage, useAuthMethods } from './components/SignInWithProvider';
import { useModels } from './hooks/useModel';
import { useToolServers } from './hooks/useToolServers';
import { useUsage } from './hooks/useUsage';
import { useConversation } from './hooks/useConversation';
import { useConversations } from './hooks/useConversations';
import { useLocalImport } from './hooks/useLocalImport';
import { useSession } from './hooks/useSession';
import { createApi } from './lib/api';
import { download } from './lib/download';
import { ChatApiError } from './lib/errors';
import { adopted, modelFor, NEW } from './lib/modelChoice';
import { labelsOf, ModelLabels } from './lib/modelLabels';
import { optionsFor } from './lib/modelOptions';
import { createSession } from './lib/session';
import { sharedTokenInAddress } from './lib/shared';
import { forgetEverything, loadOptions, saveOptions } from './lib/storage';
import type { ChatOptions, ConversationSummary, SearchHit } from './types/chat';

// The admin view is a chunk of its own: the page every user loads carries none of it.
const AdminPage = lazy(() => import('./admin/AdminPage'));

/** The open conversation lives in the address (`/c/<id>`): a reload, or a link, opens it again. */
function conversationInAddress(): string | null {
  return /^\/c\/([0-9a-f-]{36})$/.exec(window.location.pathname)?.[1] ?? null;
}

/** The message to show in it: `#m-<id>` (a search hit), or `?message=<id>` (the api's links to a hit). */
function messageInAddress(): string | null {
  const id = /^#m-([0-9a-f-]{36})$/.exec(window.location.hash)?.[1];
  return id ?? new URLSearchParams(window.location.search).get('message');
}

function showInAddress(id: string | null, messageId: string | null = null) {
  const path = id ? `/c/${id}${messageId ? `#m-${messageId}` : ''}` : '/';
  const { pathname, search, hash } = window.location;
  if (`${pathname}${search}${hash}` !== path) window.history.pushState(null, '', path);
}

function targetOf(messageId: string | null): MessageTarget | null {
  return messageId ? { messageId } : null;
}

/** Ctrl+K, or ⌘K on a Mac. */
function isSearchKey(event: KeyboardEvent): boolean {
  return event.key.toLowerCase() === 'k' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
}

/** The app; after the account's deletion, a new one from the start: a new guest, nothing of the old user's
 * left in memory or in this browser's storage. */
export function App() {
  const [shared] = useState(sharedTokenInAddress);
  if (shared !== null) {
    // A shared link's page: read without any session (none is made or refreshed here).
    return (
      <Suspense fallback={null}>
        <LazySharedPage token={shared} />
      </Suspense>
    );
  }
  return <ChatApp />;
}

function ChatApp() {
  const [generation, setGeneration] = useState(0);
  const startAfresh = useCallback(() => {
    forgetEverything();
    showInAddress(null);
    setGeneration((current) => current + 1);
  }, []);
  return <Chat key={generation} onAccountDeleted={startAfresh} />;
}

function Chat({ onAccountDeleted }: { onAccountDeleted: () => void }) {
  const { t } = useTranslation();
  const [{ session, api }] = useState(() => {
    const created = createSession();
    return { session: created, api: createApi(created) };
  });
  const account = useSession(session, api);
  const methods = useAuthMethods();
  const list = useConversations(api, account.user?.id ?? null);
  const [activeId, setActive] = useState<string | null>(conversationInAddress);
  // A new object each time a message is asked for: the same hit opened again scrolls to it again.
  const [target, setTarget] = useState<MessageTarget | null>(() => targetOf(messageInAddress()));
  const setActiveId = useCallback((id: string | null, messageId: string | null = null) => {
    setActive(id);
    setTarget(targetOf(messageId));
    showInAddress(id, messageId);
  }, []);
  useEffect(() => {
    const back = () => {
      setActive(conversationInAddress());
      setTarget(targetOf(messageInAddress()));
    };
    window.addEventListener('popstate', back);
    return () => {
      window.removeEventListener('popstate', back);
    };
  }, []);
  const [options, setOptionsState] = useState<ChatOptions>(loadOptions);
  const [menuOpen, setMenuOpen] = useState(false);
  const [dialog, setDialog] = useState<'search' | 'share' | null>(null);
  const { touched, refresh } = list;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!isSearchKey(event)) return;
      event.preventDefault(); // not the browser's own search bar
      setDialog('search');
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  // The model each conversation answers with, as picked on this page (NEW: the conversation not yet created).
  const [modelPicks, setModelPicks] = useState<Record<string, string>>({});
  const onChanged = useCallback(
    (conversation: ConversationSummary | null, id: string) => {
      setModelPicks((picks) => adopted(picks, id));
      setActive(id);
      showInAddress(id, id === conversationInAddress() ? messageInAddress() : null);
      if (conversation) touched(conversation);
    },
    [touched],
  );
  const models = useModels(api, account.user?.id ?? null);
  const servers = useToolServers(api, account.user?.id ?? null);
  const modelLabels = useMemo(() => labelsOf(models), [models]);
  const active = list.items.find((item) => item.id === activeId) ?? null;
  const model = modelFor(models, modelPicks, activeId, active);
  const pickModel = (modelId: string) => {
    setModelPicks((picks) => ({ ...picks, [activeId ?? NEW]: modelId }));
  };
  // With a choice of models, every send names its own: the server keeps it as the conversation's.
  const sentModel = models.length > 1 ? model?.id : undefined;
  const sent = useMemo(
    () => ({ ...optionsFor(model, options), ...(sentModel === undefined ? {} : { model: sentModel }) }),
    [model, options, sentModel],
  );
  const { awaitTitle } = list;
  const onFirstAnswer = useCallback(
    (conversation: ConversationSummary) => {
      awaitTitle(conversation.id, conversation.title);
    },
    [awaitTitle],
  );
  const chat = useConversation({ api, conversationId: activeId, options: sent, onChanged, onFirstAnswer });
  const usage = useUsage(api, account.user?.id ?? null, chat.streaming !== null);
  const importing = useLocalImport(api, () => void refresh());

  const setOptions = useCallback((next: ChatOptions) => {
    setOptionsState(next);
    saveOptions(next);
  }, []);
  const closeMenu = () => {
    setMenuOpen(false);
  };
  const closeDialog = () => {
    setDialog(null);
  };
  const openHit = (hit: SearchHit) => {
    setDialog(null);
    setActiveId(hit.conversation_id, hit.message_id);
    closeMenu();
  };
  const remove = async (id: string) => {
    await list.remove(id);
    if (id === activeId) setActiveId(null);
  };
  const setTools = (id: string, enabled: boolean) => {
    list.setTools(id, enabled).catch((error: unknown) => {
      if (error instanceof ChatApiError) chat.showFailure(error);
    });
  };
  const setServersOff = (id: string, off: string[]) => {
    list.setServersOff(id, off).catch((error: unknown) => {
      if (error instanceof ChatApiError) chat.showFailure(error);
    });
  };
  const exportConversation = (id: string, format: ExportFormat) => {
    void api.exportFile(id, format).then(({ blob, name }) => {
      download(blob, name);
    });
  };

  if (!account.user && account.failure?.code === 'guests_disabled') {
    return (
      <main className={styles.starting}>
        <SignInPage oidc={methods?.oidc ?? null} />
      </main>
    );
  }
  if (!account.user) {
    return (
      <main className={styles.starting}>
        {account.failure ? (
          <p role="alert">
            <ErrorMessage error={account.failure} />{' '}
            <button type="button" onClick={() => void account.retry()}>
              {t('app.retry')}
            </button>
          </p>
        ) : (
          <p>{t('app.starting')}</p>
        )}
      </main>
    );
  }

  if (window.location.pathname === '/admin') {
    return (
      <Suspense fallback={<p className={styles.starting}>{t('app.starting')}</p>}>
        <AdminPage user={account.user} fetch={session.fetch} />
      </Suspense>
    );
  }

  return (
    <div className={styles.app}>
      <header className={styles.header}>
        <button
          type="button"
          className={styles.menu}
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => {
            setMenuOpen((open) => !open);
          }}
        >
          {t('app.chats')}
        </button>
        {active ? (
          <ConversationActions
            conversation={active}
            onRename={list.rename}
            onDelete={remove}
            onExport={exportConversation}
            onSetTools={setTools}
            servers={servers}
            onSetServersOff={setServersOff}
            onShare={() => {
              setDialog('share');
            }}
          >
            <h1 className={styles.title} dir="auto">
              {active.title}
            </h1>
          </ConversationActions>
        ) : (
          <h1 className={styles.title}>{t('app.newChat')}</h1>
        )}
        {model && <ModelPicker models={models} value={model.id} onChange={pickModel} />}
      </header>
      <aside id="sidebar" className={`${styles.sidebar} ${menuOpen ? styles.open : ''}`}>
        <ImportOffer
          count={importing.count}
          busy={importing.busy}
          failed={importing.failed}
          onImport={() => void importing.importAll()}
          onDiscard={importing.discard}
        />
        <ConversationList
          conversations={list.items}
          activeId={activeId}
          hasMore={list.hasMore}
          onNew={() => {
            setActiveId(null);
            closeMenu();
          }}
          onSelect={(id) => {
            setActiveId(id);
            closeMenu();
          }}
          onRename={list.rename}
          onDelete={remove}
          onExport={exportConversation}
          onSetTools={setTools}
          servers={servers}
          onSetServersOff={setServersOff}
          onLoadMore={() => void list.loadMore()}
          onSearch={() => {
            setDialog('search');
          }}
        />
        <SettingsPanel options={options} onChange={setOptions} model={model} memories={api} userId={account.user.id} />
        <AccountPanel
          user={account.user}
          onRegister={account.register}
          onSignIn={async (email, password) => {
            await account.signIn(email, password);
            setActiveId(null);
          }}
          onSignOut={async (everywhere) => {
            await account.signOut(everywhere);
            setActiveId(null);
          }}
          onChangePassword={account.changePassword}
          onDeleteAccount={async (password) => {
            await account.deleteAccount(password);
            onAccountDeleted();
          }}
          passwords={methods?.passwords ?? true}
        />
        {account.user.guest && methods?.oidc && <ProviderSignIn oidc={methods.oidc} />}
      </aside>
      <main className={styles.main}>
        <SignInError />
        {account.ended && (
          <p role="alert" className={styles.ended}>
            {t('app.sessionEnded')}
          </p>
        )}
        {chat.failure && (
          <p role="alert" className={styles.ended}>
            <ErrorMessage error={chat.failure} />
          </p>
        )}
        <ModelLabels.Provider value={modelLabels}>
          <ChatWindow
            messages={chat.messages}
            streaming={chat.streaming}
            hasEarlier={chat.hasEarlier}
            summary={chat.summary}
            onLoadEarlier={chat.loadEarlier}
            onSend={chat.send}
            onStop={chat.stop}
            onDecide={chat.decide}
            usage={usage}
            onRetry={chat.retry}
            onEdit={chat.edit}
            onShowBranch={chat.showBranch}
            onVote={chat.vote}
            target={target}
            files={{ api, conversationId: activeId, ensureConversation: chat.ensureConversation }}
          />
        </ModelLabels.Provider>
      </main>
      <Suspense fallback={null}>
        {dialog === 'search' && <LazySearchDialog search={api.search} onOpen={openHit} onClose={closeDialog} />}
        {dialog === 'share' && active && (
          <LazyShareDialog
            api={api}
            conversationId={active.id}
            title={active.title}
            lastMessageId={chat.messages.at(-1)?.id ?? null}
            onClose={closeDialog}
          />
        )}
      </Suspense>
    </div>
  );
}
