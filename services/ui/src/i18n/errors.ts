import type { TFunction } from 'i18next';

import type { ErrorInfo } from '../types/chat';

/** The api writes its messages in English; in English they are shown as written (they say the most). */
export const SERVER_LANGUAGE = 'en';

/** Every error code the page knows, with its sentence in every language. */
const SENTENCES = {
  client_error: 'errors.client_error',
  network_error: 'errors.network_error',
  stream_interrupted: 'errors.stream_interrupted',
  stream_error: 'errors.stream_error',
  http_error: 'errors.http_error',
  stop_unavailable: 'errors.stop_unavailable',
  approval_unavailable: 'errors.approval_unavailable',
  not_found: 'errors.not_found',
  invalid_request: 'errors.invalid_request',
  conflict: 'errors.conflict',
  forbidden: 'errors.forbidden',
  unauthorized: 'errors.unauthorized',
  rate_limited: 'errors.rate_limited',
  quota_exceeded: 'errors.quota_exceeded',
  limits_unavailable: 'errors.limits_unavailable',
  database_unavailable: 'errors.database_unavailable',
  payload_too_large: 'errors.payload_too_large',
  internal_error: 'errors.internal_error',
  upstream_unavailable: 'errors.upstream_unavailable',
  upstream_timeout: 'errors.upstream_timeout',
  upstream_rate_limited: 'errors.upstream_rate_limited',
  upstream_auth_failed: 'errors.upstream_auth_failed',
  upstream_error: 'errors.upstream_error',
  upstream_incomplete: 'errors.upstream_incomplete',
  content_filtered: 'errors.content_filtered',
  vision_unsupported: 'errors.vision_unsupported',
  unsupported_file_type: 'errors.unsupported_file_type',
  files_quota_exceeded: 'errors.files_quota_exceeded',
  too_many_files: 'errors.too_many_files',
  empty_file: 'errors.empty_file',
  documents_unavailable: 'errors.documents_unavailable',
} as const;

/** Codes whose message names what was wrong (a field, a limit, a wait): its words follow the sentence (as they
 * do for a code the page does not know). */
const SPECIFIC = new Set([
  'invalid_request',
  'conflict',
  'forbidden',
  'not_found',
  'rate_limited',
  'quota_exceeded',
  'upstream_rate_limited',
  'http_error',
  'vision_unsupported',
  'payload_too_large',
  'files_quota_exceeded',
  'too_many_files',
]);

export interface ErrorText {
  text: string;
  /** The server's own words (in its language, English) when the sentence alone would lose them. */
  detail: string | null;
}

export function errorText(t: TFunction, language: string | undefined, error: ErrorInfo): ErrorText {
  if ((language ?? SERVER_LANGUAGE) === SERVER_LANGUAGE && error.message) return { text: error.message, detail: null };
  const key = (SENTENCES as Record<string, (typeof SENTENCES)[keyof typeof SENTENCES] | undefined>)[error.code];
  const text = t(key ?? 'errors.unknown');
  const detail = (SPECIFIC.has(error.code) || !key) && error.message ? error.message : null;
  return { text, detail };
}
