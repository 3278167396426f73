import { lazy } from 'react';

// Not in the first load: most conversations never attach a file.
const loadViews = () => import('./views');
export const LazyFileChips = lazy(() => loadViews().then((module) => ({ default: module.FileChips })));
export const LazyMessageFiles = lazy(() => loadViews().then((module) => ({ default: module.MessageFiles })));
