import { lazy } from 'react';

// Not in the first load: only answers about the conversation's files cite.
const loadViews = () => import('./views');
export const LazySources = lazy(() => loadViews().then((module) => ({ default: module.Sources })));
export const LazyPassageDialog = lazy(() => loadViews().then((module) => ({ default: module.PassageDialog })));
