export { AnswerFeedback } from './AnswerFeedback';
