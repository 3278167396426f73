import type { ApprovalDecision } from '../types/tools';
import type { Api } from './api';
import { ChatApiError } from './errors';

export function approvalUnreached(): ChatApiError {
  return new ChatApiError(
    'approval_unavailable',
    'Your decision could not reach the answer: the server writing it is out of reach. Decide again in a moment.',
    503,
  );
}

/**
 * Sends the user's decision on a tool call. Resolves once there is nothing left to decide: the server has the
 * decision, or answers 409 or 404 (another tab decided, the wait ran out, the answer has ended). Rejects with
 * the failure to show otherwise; the prompt stays, so the user can decide again.
 */
export async function decideApproval(
  api: Pick<Api, 'decide'>,
  answerId: string,
  callId: string,
  decision: ApprovalDecision,
): Promise<void> {
  try {
    await api.decide(answerId, callId, decision);
  } catch (error) {
    if (error instanceof ChatApiError && (error.status === 409 || error.status === 404)) return;
    if (error instanceof ChatApiError && error.code === 'stop_unavailable') throw approvalUnreached();
    throw error;
  }
}
