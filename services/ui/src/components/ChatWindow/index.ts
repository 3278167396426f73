export { ChatWindow, type ConversationFiles, type MessageTarget } from './ChatWindow';
