import Ellipsis from 'lucide-react/icons/ellipsis';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

import type { ConversationSummary } from '../../types/chat';
import { MenuButton } from '../MenuButton';
import styles from './ConversationActions.module.css';

export type ExportFormat = 'markdown' | 'json';

interface Props {
  conversation: ConversationSummary;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onExport: (id: string, format: ExportFormat) => void;
  /** Tools offered to the model in this conversation, or none. */
  onSetTools: (id: string, enabled: boolean) => void;
  /** The MCP servers the user's tools may come from: each may be switched off for this conversation. */
  servers?: readonly string[] | undefined;
  /** The whole list of servers switched off for this conversation. */
  onSetServersOff?: ((id: string, off: string[]) => void) | undefined;
  /** Share the branch on screen as a read-only link (only where the branch is on screen: the header). */
  onShare?: (() => void) | undefined;
  /** What shows while no action is under way (the title), before the menu. */
  children: ReactNode;
  /** For the menu button (the list shows it on hover and focus). */
  menuClassName?: string | undefined;
}

type Mode = 'idle' | 'renaming' | 'deleting';

/** A conversation and its actions in one menu: rename (in place), share, export, its tools on or off, delete (after a
 * confirmation). The focus comes back to the menu once a rename or a kept chat is done with. */
export function ConversationActions({
  conversation,
  onRename,
  onDelete,
  onExport,
  onSetTools,
  servers = [],
  onSetServersOff,
  onShare,
  children,
  menuClassName,
}: Props) {
  const { t } = useTranslation();
  const [mode, setMode] = useState<Mode>('idle');
  const menu = useRef<{ focus: () => void }>(null);
  const returning = useRef(false);
  const { id, title } = conversation;
  const toolsOn = conversation.tools_enabled;
  const serversOff = conversation.mcp_servers_off ?? [];
  const serverSwitches =
    toolsOn && onSetServersOff
      ? servers.map((server) => {
          const on = !serversOff.includes(server);
          return {
            label: t('conversations.serverTools', { server }),
            checked: on,
            onSelect: () => {
              onSetServersOff(id, on ? [...serversOff, server] : serversOff.filter((name) => name !== server));
            },
          };
        })
      : [];

  useEffect(() => {
    if (mode === 'idle' && returning.current) menu.current?.focus();
    returning.current = false;
  }, [mode]);
  const back = () => {
    returning.current = true;
    setMode('idle');
  };

  if (mode === 'renaming') {
    return (
      <RenameForm
        title={title}
        onDone={async (next) => {
          if (next && next !== title) await onRename(id, next);
          back();
        }}
      />
    );
  }
  if (mode === 'deleting') {
    return (
      <span className={styles.confirm} role="group" aria-label={t('conversations.confirmDeleteLabel', { title })}>
        <span>{t('conversations.confirmDelete')}</span>
        <button
          type="button"
          className={styles.danger}
          onClick={() => {
            setMode('idle');
            void onDelete(id);
          }}
        >
          {t('conversations.deleteConfirmed')}
        </button>
        <button type="button" autoFocus onClick={back}>
          {t('conversations.keep')}
        </button>
      </span>
    );
  }
  return (
    <>
      {children}
      <MenuButton
        ref={menu}
        className={menuClassName}
        label={t('conversations.actions', { title })}
        icon={<Ellipsis size={18} aria-hidden="true" />}
        items={[
          {
            label: t('conversations.rename'),
            onSelect: () => {
              setMode('renaming');
            },
          },
          ...(onShare ? [{ label: t('conversations.share'), onSelect: onShare }] : []),
          {
            label: t('conversations.exportMarkdown'),
            onSelect: () => {
              onExport(id, 'markdown');
            },
          },
          {
            label: t('conversations.exportJson'),
            onSelect: () => {
              onExport(id, 'json');
            },
          },
          {
            label: t('conversations.tools'),
            checked: toolsOn,
            onSelect: () => {
              onSetTools(id, !toolsOn);
            },
          },
          ...serverSwitches,
          {
            label: t('conversations.delete'),
            onSelect: () => {
              setMode('deleting');
            },
            danger: true,
          },
        ]}
      />
    </>
  );
}

function RenameForm({ title, onDone }: { title: string; onDone: (title: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(title);
  const fieldId = useId(); // the header and the list may each have one open
  return (
    <form
      className={styles.rename}
      onSubmit={(event) => {
        event.preventDefault();
        void onDone(value.trim());
      }}
    >
      <label className={styles.visuallyHidden} htmlFor={fieldId}>
        {t('conversations.newName')}
      </label>
      <input
        id={fieldId}
        value={value}
        maxLength={200}
        dir="auto"
        autoFocus
        onChange={(event) => {
          setValue(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.stopPropagation();
            void onDone(title);
          }
        }}
      />
      <button type="submit">{t('conversations.save')}</button>
    </form>
  );
}
