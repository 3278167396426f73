import { useTranslation } from 'react-i18next';

import type { ModelInfo } from '../../types/chat';
import styles from './ModelPicker.module.css';

interface Props {
  models: ModelInfo[];
  value: string;
  onChange: (modelId: string) => void;
}

/** The conversation's model: a native select (keyboard and screen readers for free), shown only when there is a
 * choice. The pick goes with the next message. */
export function ModelPicker({ models, value, onChange }: Props) {
  const { t } = useTranslation();
  if (models.length < 2) return null;
  return (
    <select
      className={styles.picker}
      aria-label={t('models.label')}
      value={value}
      onChange={(event) => {
        onChange(event.target.value);
      }}
      data-testid="model-picker"
    >
      {models.map((model) => (
        <option key={model.id} value={model.id}>
          {model.label}
        </option>
      ))}
    </select>
  );
}
