/** Numbers and durations in the page's language, by `Intl` (the strings' own `{{n, number}}` use it too). */

/** `2 hr, 5 min` / `2 Std., 5 Min.`: whole hours and minutes (no `0 min` after hours), at least one minute. */
export function formatDuration(seconds: number, language: string): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = hours ? Math.floor((seconds % 3600) / 60) : Math.max(1, Math.ceil(seconds / 60));
  const unit = (value: number, name: 'hour' | 'minute') =>
    new Intl.NumberFormat(language, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
  const parts = hours ? [unit(hours, 'hour')] : [];
  if (!hours || minutes) parts.push(unit(minutes, 'minute'));
  return new Intl.ListFormat(language, { type: 'unit', style: 'short' }).format(parts);
}

export function formatNumber(value: number, language: string): string {
  return new Intl.NumberFormat(language).format(value);
}

/** A tool's run time: `420 ms`, `1.2 s`, `75 s` (`1,2 s` in German). */
export function formatElapsed(milliseconds: number, language: string): string {
  if (milliseconds < 1000) {
    return new Intl.NumberFormat(language, { style: 'unit', unit: 'millisecond', unitDisplay: 'short' }).format(
      Math.round(milliseconds),
    );
  }
  const seconds = milliseconds / 1000;
  return new Intl.NumberFormat(language, {
    style: 'unit',
    unit: 'second',
    unitDisplay: 'short',
    maximumFractionDigits: seconds < 10 ? 1 : 0,
  }).format(seconds);
}

/** A countdown as a clock: `4:05`. */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  return `${String(Math.floor(whole / 60))}:${String(whole % 60).padStart(2, '0')}`;
}

/** A date and time, short: `6 Dec 2026, 08:20` / `06.12.2026, 08:20`. */
export function formatDateTime(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
