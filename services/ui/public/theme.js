// The theme chosen in this browser, applied before the first paint, so a page kept dark never flashes light.
// A classic script in <head> (the CSP allows no inline script); src/theme/theme.ts does the same afterwards.
try {
  var theme = localStorage.getItem('chat.theme.v1');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch (e) {
  // no storage: the system's scheme
}
