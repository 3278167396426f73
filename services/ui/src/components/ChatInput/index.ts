export { ChatInput } from './ChatInput';
