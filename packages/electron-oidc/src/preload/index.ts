/**
 * `electron-oidc/preload`: exposes `window.auth` to the renderer. Imports
 * nothing from `electron` at run time (the app's preload passes Electron's
 * objects in), so it bundles small and runs under a test transport too. The
 * types of `window.auth` (`AuthBridge`…) are in `electron-oidc/bridge`.
 */
export { createAuthBridge, exposeAuthBridge } from './expose.ts';
export type {
  PreloadContextBridge,
  PreloadElectron,
  PreloadIpcListener,
  PreloadIpcRenderer,
} from './expose.ts';
