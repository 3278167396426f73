/** The HTTP contract's shapes (see services/api/README.md) and the UI's own conversation model. */

export type Role = 'user' | 'assistant' | 'system';

export interface Message {
  role: Role;
  content: string;
}

export interface ChatOptions {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
}

export interface ChatRequest {
  message: string;
  history: Message[];
  options: ChatOptions;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'cancelled';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ErrorInfo {
  code: string;
  message: string;
}

/** How an assistant turn stands: streaming, finished (with why), stopped by the user, or failed. */
export type TurnStatus = 'streaming' | 'done' | 'stopped' | 'error';

export interface ChatTurn {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: TurnStatus;
  finishReason?: FinishReason;
  usage?: Usage;
  error?: ErrorInfo;
}

export interface Conversation {
  id: string;
  title: string;
  turns: ChatTurn[];
  updatedAt: number;
}
