import type { ChatOptions } from '../../types/chat';
import styles from './SettingsPanel.module.css';

interface Props {
  options: ChatOptions;
  onChange: (options: ChatOptions) => void;
}

const FIELDS = [
  { key: 'max_tokens', label: 'Max tokens', min: 1, max: 4096, step: 1, placeholder: '1024' },
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.1, placeholder: 'model default' },
  { key: 'top_p', label: 'Top p', min: 0.01, max: 1, step: 0.01, placeholder: 'model default' },
] as const;

/** The request's options; an empty field leaves the choice to the server. */
export function SettingsPanel({ options, onChange }: Props) {
  const update = (key: keyof ChatOptions, raw: string) => {
    const value = Number(raw);
    const keep = Object.entries(options).filter(([name]) => name !== key);
    const set = raw.trim() !== '' && Number.isFinite(value) ? [[key, value]] : [];
    onChange(Object.fromEntries([...keep, ...set]) as ChatOptions);
  };

  return (
    <details className={styles.panel}>
      <summary>Settings</summary>
      {FIELDS.map((field) => (
        <label key={field.key} className={styles.field}>
          <span>{field.label}</span>
          <input
            type="number"
            min={field.min}
            max={field.max}
            step={field.step}
            placeholder={field.placeholder}
            value={options[field.key] ?? ''}
            onChange={(event) => {
              update(field.key, event.target.value);
            }}
          />
        </label>
      ))}
    </details>
  );
}
