import { useEffect, useId, useState, type SyntheticEvent } from 'react';

import type { ErrorInfo } from '../types/chat';
import styles from './Admin.module.css';
import { useAdminText } from './useAdminText';
import { AdminFailure } from './AdminError';
import type { AdminApi, Grouping, UsageQuery, UsageReport, UsageRow } from './adminApi';
import { formatCount, formatDay, utcDay } from './format';

const COUNTERS = [
  ['input_tokens', 'usage.inputTokens'],
  ['output_tokens', 'usage.outputTokens'],
  ['reasoning_tokens', 'usage.reasoningTokens'],
  ['answers', 'usage.answers'],
  ['refusals', 'usage.refusals'],
  ['tool_calls', 'usage.toolCalls'],
] as const;

const GROUPS = [
  ['user', 'usage.byUser'],
  ['day', 'usage.byDay'],
  ['model', 'usage.byModel'],
] as const;

interface Props {
  api: AdminApi;
  onDownload: (blob: Blob, name: string) => void;
}

/** Usage summed by user, day or model over a range of days, with its CSV. */
export function UsagePanel({ api, onDownload }: Props) {
  const { t, language } = useAdminText();
  const id = useId();
  const [query, setQuery] = useState<UsageQuery>(() => ({ group: 'user', from: utcDay(29), to: utcDay() }));
  const [draft, setDraft] = useState(query);
  const [report, setReport] = useState<UsageReport | null>(null);
  const [failure, setFailure] = useState<ErrorInfo | null>(null);

  useEffect(() => {
    let current = true;
    api.usage(query).then(
      (found) => {
        if (!current) return;
        setReport(found);
        setFailure(null);
      },
      (error: unknown) => {
        if (current) setFailure(error as ErrorInfo);
      },
    );
    return () => {
      current = false;
    };
  }, [api, query]);

  const apply = (event: SyntheticEvent) => {
    event.preventDefault();
    setQuery({ ...draft }); // a new query each time: Show reads the usage again, filters changed or not
  };
  const exportCsv = () => {
    api.usageCsv(query).then(
      ({ blob, name }) => {
        onDownload(blob, name);
      },
      (error: unknown) => {
        setFailure(error as ErrorInfo);
      },
    );
  };
  const count = (value: number) => formatCount(value, language);
  const label = (row: UsageRow) => {
    if (report?.group === 'day' && row.day) return formatDay(row.day, language);
    if (report?.group === 'model') return row.model ?? '';
    return row.user ?? `${t('usage.guest')} ${row.user_id?.slice(0, 8) ?? ''}`;
  };
  const groupName = (group: Grouping) => t(GROUPS.find(([name]) => name === group)?.[1] ?? 'usage.byUser');

  return (
    <section className={styles.section} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('tabs.usage')}</h2>
      <form className={styles.filters} onSubmit={apply}>
        <label>
          {t('usage.from')}
          <input
            type="date"
            value={draft.from}
            max={draft.to}
            required
            onChange={(event) => {
              setDraft({ ...draft, from: event.target.value });
            }}
          />
        </label>
        <label>
          {t('usage.to')}
          <input
            type="date"
            value={draft.to}
            min={draft.from}
            required
            onChange={(event) => {
              setDraft({ ...draft, to: event.target.value });
            }}
          />
        </label>
        <label>
          {t('usage.group')}
          <select
            value={draft.group}
            onChange={(event) => {
              const next = { ...draft, group: event.target.value as Grouping };
              setDraft(next);
              setQuery(next);
            }}
          >
            {GROUPS.map(([group, key]) => (
              <option key={group} value={group}>
                {t(key)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{t('usage.apply')}</button>
        <button type="button" onClick={exportCsv}>
          {t('usage.export')}
        </button>
      </form>
      <AdminFailure error={failure} />
      {report === null ? (
        <p>{t('loading')}</p>
      ) : (
        <div className={styles.scroll}>
          <table className={styles.table}>
            <caption>
              {t('usage.caption', {
                from: formatDay(report.from, language),
                to: formatDay(report.to, language),
              })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{groupName(report.group)}</th>
                {COUNTERS.map(([name, key]) => (
                  <th key={name} scope="col" className={styles.number}>
                    {t(key)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.rows.length === 0 && (
                <tr>
                  <td colSpan={COUNTERS.length + 1}>{t('noRows')}</td>
                </tr>
              )}
              {report.rows.map((row) => (
                <tr key={`${row.day ?? ''}${row.user_id ?? ''}${row.model ?? ''}`}>
                  <th scope="row" dir="auto">
                    {label(row)}
                  </th>
                  {COUNTERS.map(([name]) => (
                    <td key={name} className={styles.number}>
                      {count(row[name])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('usage.total')}</th>
                {COUNTERS.map(([name]) => (
                  <td key={name} className={styles.number}>
                    {count(report.totals[name])}
                  </td>
                ))}
              </tr>
            </tfoot>
          </table>
          {report.truncated && <p className={styles.note}>{t('usage.truncated')}</p>}
        </div>
      )}
    </section>
  );
}
