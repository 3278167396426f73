import { lazy } from 'react';

// Loaded when first opened (Ctrl/Cmd+K or the sidebar's button): not part of the first load.
export const LazySearchDialog = lazy(() =>
  import('./SearchDialog').then((module) => ({ default: module.SearchDialog })),
);
