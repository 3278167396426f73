export { MemoryList, type MemoryApi } from './MemoryList';
