import { lazy } from 'react';

// Markdown, its parser and the highlighter are not needed for the first paint: they load just after it
// (see main.tsx), and an answer shows as plain text until they are here.
export const loadMarkdown = () => import('./Markdown');
export const LazyMarkdown = lazy(() => loadMarkdown().then((module) => ({ default: module.Markdown })));
