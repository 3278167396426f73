/** The admin view's routes (/api/admin), typed from the api's OpenAPI document; every failure a `ChatApiError`. */
import type { components } from '../api/schema';
import { errorFromResponse } from '../lib/errors';

type Schemas = components['schemas'];
export type UsageReport = Schemas['UsageReport'];
export type UsageRow = Schemas['UsageRow'];
export type Grouping = UsageReport['group'];
export type AdminUser = Schemas['AdminUser'];
export type AdminUserPage = Schemas['AdminUserPage'];
export type AuditPage = Schemas['AuditPage'];
export type AuditEntry = Schemas['AuditEntry'];
export type FeedbackPage = Schemas['FeedbackPage'];
export type FeedbackEntry = Schemas['FeedbackEntry'];
export type Rating = FeedbackEntry['rating'];

export interface UsageQuery {
  group: Grouping;
  from: string;
  to: string;
}

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

function query(values: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createAdminApi(fetch: Fetch) {
  async function call(path: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(`/api/admin${path}`, init);
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }
  const json = async <T>(path: string) => (await (await call(path)).json()) as T;
  const usageQuery = (usage: UsageQuery) => query({ group: usage.group, from: usage.from, to: usage.to });
  /** A CSV, fetched with the access token (a plain link would carry none), and its file name. */
  const csv = async (path: string, fallback: string) => {
    const response = await call(path);
    const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1];
    return { blob: await response.blob(), name: name ?? fallback };
  };
  return {
    usage: (usage: UsageQuery) => json<UsageReport>(`/usage${usageQuery(usage)}`),
    usageCsv: (usage: UsageQuery) => csv(`/usage.csv${usageQuery(usage)}`, 'usage.csv'),
    users: (search: string, cursor?: string | null) =>
      json<AdminUserPage>(`/users${query({ query: search.trim(), cursor })}`),
    setDisabled: async (id: string, disabled: boolean) => {
      await call(`/users/${encodeURIComponent(id)}/${disabled ? 'disable' : 'enable'}`, { method: 'POST' });
    },
    audit: (cursor?: string | null) => json<AuditPage>(`/audit${query({ cursor })}`),
    feedback: (rating: Rating | null, cursor?: string | null) =>
      json<FeedbackPage>(`/feedback${query({ rating, cursor })}`),
    /** Every vote (the export takes no rating filter); the export is recorded in the audit log. */
    feedbackCsv: () => csv('/feedback.csv', 'feedback.csv'),
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;
