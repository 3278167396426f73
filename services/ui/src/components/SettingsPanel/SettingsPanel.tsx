import { optionsTaken } from '../../lib/modelOptions';
import type { ChatOptions, ModelInfo, ReasoningEffort } from '../../types/chat';
import styles from './SettingsPanel.module.css';

interface Props {
  options: ChatOptions;
  onChange: (options: ChatOptions) => void;
  model?: ModelInfo | null;
}

type NumberOption = 'max_tokens' | 'temperature' | 'top_p';

const FIELDS = [
  { key: 'max_tokens', label: 'Max tokens', min: 1, max: 4096, step: 1, placeholder: '1024' },
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.1, placeholder: 'model default' },
  { key: 'top_p', label: 'Top p', min: 0.01, max: 1, step: 0.01, placeholder: 'model default' },
] as const;

/** The request's options, those the model takes (a reasoning model: a reasoning effort instead of temperature
 * and top p); an empty field leaves the choice to the server. */
export function SettingsPanel({ options, onChange, model = null }: Props) {
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
    <details className={styles.panel}>
      <summary>Settings</summary>
      {FIELDS.filter((field) => taken.includes(field.key)).map((field) => (
        <label key={field.key} className={styles.field}>
          <span>{field.key === 'max_tokens' && model?.reasoning ? 'Max tokens (with reasoning)' : field.label}</span>
          <input
            type="number"
            min={field.min}
            max={field.key === 'max_tokens' && model ? model.max_output_tokens : field.max}
            step={field.step}
            placeholder={field.key === 'max_tokens' && model ? String(model.default_max_tokens) : field.placeholder}
            value={options[field.key] ?? ''}
            onChange={(event) => {
              update(field.key, event.target.value);
            }}
          />
        </label>
      ))}
      {model && taken.includes('reasoning_effort') && (
        <label className={styles.field}>
          <span>Reasoning effort</span>
          <select
            value={options.reasoning_effort ?? ''}
            onChange={(event) => {
              set('reasoning_effort', (event.target.value || undefined) as ReasoningEffort | undefined);
            }}
          >
            <option value="">{`default${model.default_reasoning_effort ? ` (${model.default_reasoning_effort})` : ''}`}</option>
            {model.reasoning_efforts.map((effort) => (
              <option key={effort} value={effort}>
                {effort}
              </option>
            ))}
          </select>
        </label>
      )}
    </details>
  );
}
