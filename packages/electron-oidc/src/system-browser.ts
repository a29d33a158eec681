/**
 * `electron-oidc/system-browser`: opens URLs in the user's browser from plain
 * Node (`$BROWSER`, else the platform's opener), as the CLI does. Electron
 * apps pass `shell.openExternal` as `openBrowser` instead.
 */
export { createSystemBrowserOpener, openSystemBrowser } from './core/system-browser.ts';
export type { BrowserOpener } from './core/system-browser.ts';
