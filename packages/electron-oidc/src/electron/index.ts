/**
 * `electron-oidc/electron`: thin adapters between Electron and the library,
 * each one checked against `electron.d.ts` and unit-tested with `electron`
 * mocked. The logic they wrap (origin checks, the bridge handlers, file
 * resolution, the CSP) lives in plain-Node modules.
 */
export { secureWebPreferences } from './web-preferences.ts';
export type { SecureWebPreferencesOptions } from './web-preferences.ts';
export { hardenSession, hardenWebContents, hardenWindow } from './harden.ts';
export type { HardenOptions } from './harden.ts';
export {
  DEFAULT_APP_HOST,
  DEFAULT_APP_SCHEME,
  registerAppProtocol,
  registerAppScheme,
  serveAppRequest,
} from './protocol.ts';
export type { AppProtocolOptions } from './protocol.ts';
export { registerBridge } from './ipc.ts';
export type { RegisterBridgeOptions } from './ipc.ts';
export {
  APP_CONTENT_SECURITY_POLICY,
  APP_MIME_TYPES,
  appResponseHeaders,
  resolveAppFile,
} from './app-files.ts';
export type { AppFile } from './app-files.ts';
export { assertSafeStorageProtects, openSafeStorageVault, SafeStorageKeyStore } from './safe-storage-key.ts';
export type {
  OpenSafeStorageVaultOptions,
  SafeStorageApi,
  SafeStorageKeyStoreOptions,
} from './safe-storage-key.ts';
export { electronNetFetch } from './net-fetch.ts';
export type { NetFetcher } from './net-fetch.ts';
