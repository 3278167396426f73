import { useState } from 'react';

import styles from './App.module.css';
import { ChatWindow } from './components/ChatWindow';
import { ConversationList } from './components/ConversationList';
import { SettingsPanel } from './components/SettingsPanel';
import { useChat } from './hooks/useChat';

export function App() {
  const chat = useChat();
  const [menuOpen, setMenuOpen] = useState(false);
  const closeMenu = () => {
    setMenuOpen(false);
  };

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
          Chats
        </button>
        <h1 className={styles.title}>{chat.active?.title ?? 'New chat'}</h1>
      </header>
      <aside id="sidebar" className={`${styles.sidebar} ${menuOpen ? styles.open : ''}`}>
        <ConversationList
          conversations={chat.conversations}
          activeId={chat.active?.id ?? null}
          onNew={() => {
            chat.newChat();
            closeMenu();
          }}
          onSelect={(id) => {
            chat.select(id);
            closeMenu();
          }}
          onDelete={chat.remove}
        />
        <SettingsPanel options={chat.options} onChange={chat.setOptions} />
      </aside>
      <main className={styles.main}>
        <ChatWindow
          turns={chat.active?.turns ?? []}
          streaming={chat.streaming !== null}
          onSend={chat.send}
          onStop={chat.stop}
          onRetry={chat.retry}
        />
      </main>
    </div>
  );
}
