export { BudgetNote } from './BudgetNote';
