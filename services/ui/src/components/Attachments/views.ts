// The chips and a message's files: loaded the first time a file is attached or a message with files shows.
export { FileChips } from './FileChips';
export { MessageFiles } from './MessageFiles';
