export { MessageList, type MessageActions } from './MessageList';
