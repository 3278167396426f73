/** Numbers, days and moments of the admin tables, in the page's language. */

export function formatCount(value: number, language: string): string {
  return new Intl.NumberFormat(language).format(value);
}

export function formatMoment(value: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}

/** A day as the api gives it (YYYY-MM-DD, UTC), shown as that day wherever the browser is. */
export function formatDay(value: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${value}T00:00:00Z`),
  );
}

/** Today (UTC) and the day `days` before it, as YYYY-MM-DD. */
export function utcDay(daysBefore = 0, now: Date = new Date()): string {
  return new Date(now.getTime() - daysBefore * 86_400_000).toISOString().slice(0, 10);
}
