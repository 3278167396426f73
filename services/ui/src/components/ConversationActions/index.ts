export { ConversationActions, type ExportFormat } from './ConversationActions';
