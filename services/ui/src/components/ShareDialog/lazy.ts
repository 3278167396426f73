import { lazy } from 'react';

// Loaded when a chat's menu asks for it: not part of the first load.
export const LazyShareDialog = lazy(() => import('./ShareDialog').then((module) => ({ default: module.ShareDialog })));
