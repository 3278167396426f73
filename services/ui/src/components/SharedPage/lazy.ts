import { lazy } from 'react';

// Only a link's viewers need it: not part of the chat's first load.
export const LazySharedPage = lazy(() => import('./SharedPage').then((module) => ({ default: module.SharedPage })));
