export { Citations, type AnswerCitations } from './context';
export { LazyPassageDialog, LazySources } from './lazy';
export { WithCitations } from './WithCitations';
