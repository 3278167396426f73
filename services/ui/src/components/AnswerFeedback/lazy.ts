import { lazy } from 'react';

// Not needed for the first paint: loaded with the first finished answer.
export const LazyAnswerFeedback = lazy(() =>
  import('./AnswerFeedback').then((module) => ({ default: module.AnswerFeedback })),
);
