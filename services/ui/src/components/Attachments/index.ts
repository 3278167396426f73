export { LazyFileChips, LazyMessageFiles } from './lazy';
export { useFileDrop } from './useFileDrop';
