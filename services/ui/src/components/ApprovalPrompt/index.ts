export { ApprovalPrompt } from './ApprovalPrompt';
