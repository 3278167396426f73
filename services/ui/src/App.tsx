import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

import styles from './App.module.css';
import { AccountPanel } from './components/AccountPanel';
import { ChatWindow } from './components/ChatWindow';
import { ConversationActions, type ExportFormat } from './components/ConversationActions';
import { ConversationList } from './components/ConversationList';
import { ErrorMessage } from './components/ErrorMessage';
import { ImportOffer } from './components/ImportOffer';
import { SettingsPanel } from './components/SettingsPanel';
import { ProviderSignIn, SignInError, SignInPage, useAuthMethods } from './components/SignInWithProvider';
import { useModel } from './hooks/useModel';
import { useUsage } from './hooks/useUsage';
import { useConversation } from './hooks/useConversation';
import { useConversations } from './hooks/useConversations';
import { useLocalImport } from './hooks/useLocalImport';
import { useSession } from './hooks/useSession';
import { createApi } from './lib/api';
import { ChatApiError } from './lib/errors';
import { optionsFor } from './lib/modelOptions';
import { createSession } from './lib/session';
import { forgetEverything, loadOptions, saveOptions } from './lib/storage';
import type { ChatOptions, ConversationSummary } from './types/chat';

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** The open conversation lives in the address (`/c/<id>`): a reload, or a link, opens it again. */
function conversationInAddress(): string | null {
  return /^\/c\/([0-9a-f-]{36})$/.exec(window.location.pathname)?.[1] ?? null;
}

function showInAddress(id: string | null) {
  const path = id ? `/c/${id}` : '/';
  if (window.location.pathname !== path) window.history.pushState(null, '', path);
}

/** The app; after the account's deletion, a new one from the start: a new guest, nothing of the old user's
 * left in memory or in this browser's storage. */
export function App() {
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
  const setActiveId = useCallback((id: string | null) => {
    setActive(id);
    showInAddress(id);
  }, []);
  useEffect(() => {
    const back = () => {
      setActive(conversationInAddress());
    };
    window.addEventListener('popstate', back);
    return () => {
      window.removeEventListener('popstate', back);
    };
  }, []);
  const [options, setOptionsState] = useState<ChatOptions>(loadOptions);
  const [menuOpen, setMenuOpen] = useState(false);
  const { touched, refresh } = list;

  const onChanged = useCallback(
    (conversation: ConversationSummary | null, id: string) => {
      setActiveId(id);
      if (conversation) touched(conversation);
    },
    [touched, setActiveId],
  );
  const model = useModel(api, account.user?.id ?? null);
  const sent = useMemo(() => optionsFor(model, options), [model, options]);
  const chat = useConversation({ api, conversationId: activeId, options: sent, onChanged });
  const usage = useUsage(api, account.user?.id ?? null, chat.streaming !== null);
  const importing = useLocalImport(api, () => void refresh());

  const setOptions = useCallback((next: ChatOptions) => {
    setOptionsState(next);
    saveOptions(next);
  }, []);
  const closeMenu = () => {
    setMenuOpen(false);
  };
  const active = list.items.find((item) => item.id === activeId) ?? null;
  const remove = async (id: string) => {
    await list.remove(id);
    if (id === activeId) setActiveId(null);
  };
  const setTools = (id: string, enabled: boolean) => {
    list.setTools(id, enabled).catch((error: unknown) => {
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
          >
            <h1 className={styles.title} dir="auto">
              {active.title}
            </h1>
          </ConversationActions>
        ) : (
          <h1 className={styles.title}>{t('app.newChat')}</h1>
        )}
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
          onLoadMore={() => void list.loadMore()}
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
        />
      </main>
    </div>
  );
}
