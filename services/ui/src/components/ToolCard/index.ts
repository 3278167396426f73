export { JsonBlock } from './JsonBlock';
export { ToolCard } from './ToolCard';
