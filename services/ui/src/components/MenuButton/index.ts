export { MenuButton, type MenuItem } from './MenuButton';
