import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { optionsTaken } from '../../lib/modelOptions';
import type { ChatOptions, ModelInfo, ReasoningEffort } from '../../types/chat';
import { MemoryList, type MemoryApi } from '../MemoryList';
import { Preferences } from './Preferences';
import styles from './SettingsPanel.module.css';

interface Props {
  options: ChatOptions;
  onChange: (options: ChatOptions) => void;
  model?: ModelInfo | null;
  /** The signed-in user's saved memories (listed when the user opens them). */
  memories: MemoryApi;
  /** Whose memories: another user's list is never shown. */
  userId: string;
}

type NumberOption = 'max_tokens' | 'temperature' | 'top_p';

const DEFAULT_MAX_TOKENS = 1024; // what the api answers with when it has not said (no model info yet)

const EFFORTS = {
  low: 'settings.effort.low',
  medium: 'settings.effort.medium',
  high: 'settings.effort.high',
} as const satisfies Record<ReasoningEffort, string>;

const FIELDS = [
  { key: 'max_tokens', label: 'settings.maxTokens', min: 1, max: 4096, step: 1 },
  { key: 'temperature', label: 'settings.temperature', min: 0, max: 2, step: 0.1 },
  { key: 'top_p', label: 'settings.topP', min: 0.01, max: 1, step: 0.01 },
] as const;

/** The page's language and theme; then the request's options, those the model takes (a reasoning model: a
 * reasoning effort instead of temperature and top p); an empty field leaves the choice to the server; then
 * what the assistant remembers. Its fields are made once it is opened: closed, the first load would pay for
 * them (the language names and number format build the browser's locale data, 20 to 35 ms, measured). */
export function SettingsPanel(props: Props) {
  const { t } = useTranslation();
  return (
    <OpenedDetails className={styles.panel} summary={t('settings.title')}>
      {() => <SettingsFields {...props} />}
    </OpenedDetails>
  );
}

/** A `<details>` whose content is made only while it is open (and made afresh each time it opens). */
function OpenedDetails({
  className,
  summary,
  children,
}: {
  className: string | undefined;
  summary: string;
  children: () => ReactNode;
}) {
  const [open, setOpen] = useState(false);
  return (
    <details
      className={className}
      onToggle={(event) => {
        setOpen(event.currentTarget.open);
      }}
    >
      <summary>{summary}</summary>
      {open && children()}
    </details>
  );
}

function SettingsFields({ options, onChange, model = null, memories, userId }: Props) {
  const { t, i18n } = useTranslation();
  const number = new Intl.NumberFormat(i18n.language);
  const taken = optionsTaken(model);
  const set = (key: keyof ChatOptions, value: ChatOptions[keyof ChatOptions] | undefined) => {
    const keep = Object.entries(options).filter(([name]) => name !== key);
    onChange(Object.fromEntries(value === undefined ? keep : [...keep, [key, value]]));
  };
  const update = (key: NumberOption, raw: string) => {
    const value = Number(raw);
    set(key, raw.trim() !== '' && Number.isFinite(value) ? value : undefined);
  };

  return (
    <>
      <Preferences />
      {FIELDS.filter((field) => taken.includes(field.key)).map((field) => (
        <label key={field.key} className={styles.field}>
          <span>
            {field.key === 'max_tokens' && model?.reasoning ? t('settings.maxTokensWithReasoning') : t(field.label)}
          </span>
          <input
            type="number"
            min={field.min}
            max={field.key === 'max_tokens' && model ? model.max_output_tokens : field.max}
            step={field.step}
            placeholder={
              field.key !== 'max_tokens'
                ? t('settings.modelDefault')
                : number.format(model ? model.default_max_tokens : DEFAULT_MAX_TOKENS)
            }
            value={options[field.key] ?? ''}
            onChange={(event) => {
              update(field.key, event.target.value);
            }}
          />
        </label>
      ))}
      {model && taken.includes('reasoning_effort') && (
        <label className={styles.field}>
          <span>{t('settings.reasoningEffort')}</span>
          <select
            value={options.reasoning_effort ?? ''}
            onChange={(event) => {
              set('reasoning_effort', (event.target.value || undefined) as ReasoningEffort | undefined);
            }}
          >
            <option value="">
              {model.default_reasoning_effort
                ? t('settings.effortDefaultIs', { effort: t(EFFORTS[model.default_reasoning_effort]) })
                : t('settings.effortDefault')}
            </option>
            {model.reasoning_efforts.map((effort) => (
              <option key={effort} value={effort}>
                {t(EFFORTS[effort])}
              </option>
            ))}
          </select>
        </label>
      )}
      <Memories api={memories} userId={userId} />
    </>
  );
}

/** Fetched only once opened, and afresh each time it opens. (Its code is in the first load: a second lazy chunk
 * beside the markdown renderer makes Rolldown 1.2 split React and i18next out of the entry, rolldown#10731,
 * which costs more than the list's 1.3 kB.) */
function Memories({ api, userId }: { api: MemoryApi; userId: string }) {
  const { t } = useTranslation();
  return (
    <OpenedDetails className={styles.memories} summary={t('memories.title')}>
      {() => <MemoryList key={userId} api={api} />}
    </OpenedDetails>
  );
}
