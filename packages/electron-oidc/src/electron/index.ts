/**
 * `electron-oidc/electron`: thin adapters between Electron and the library,
 * each one checked against `electron.d.ts` and unit-tested with `electron`
 * mocked. The logic they wrap (origin checks, the bridge handlers, file
 * resolution, the CSP) lives in plain-Node modules.
 */
// Each adapter module exports only what apps use, so each is public as a whole.
export * from './web-preferences.ts';
export * from './harden.ts';
export * from './protocol.ts';
export * from './ipc.ts';
export * from './app-files.ts';
export * from './safe-storage-key.ts';
export * from './net-fetch.ts';
