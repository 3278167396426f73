export { ChatWindow } from './ChatWindow';
