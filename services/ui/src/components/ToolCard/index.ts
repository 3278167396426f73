export { ToolCard } from './ToolCard';
