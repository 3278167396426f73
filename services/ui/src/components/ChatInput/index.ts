export { ChatInput, type ComposerFiles } from './ChatInput';
