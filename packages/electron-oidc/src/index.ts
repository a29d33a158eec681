/**
 * electron-oidc: sign-in for desktop apps with OpenID Connect, done the way
 * RFC 8252 and RFC 9700 ask (system browser, loopback redirect, PKCE, verified
 * ID tokens, refresh token in the OS keychain). This entry point is
 * runtime-agnostic: it runs in plain Node and in Electron's main process.
 *
 * @example
 * ```ts
 * import { createDesktopAuth } from 'electron-oidc';
 * const auth = createDesktopAuth({ config: { issuer: 'https://login.example.com', clientId: 'my-app', apiAudience: 'https://api.example.com' } });
 * if ((await auth.restore()) === 'signed-out') await auth.signIn();
 * const res = await auth.fetchApi('/private');
 * ```
 *
 * @packageDocumentation
 */
export { createDesktopAuth } from './core/desktop-auth.ts';
export type { DesktopAuth, DesktopAuthOptions, SignOutResult } from './core/desktop-auth.ts';
export {
  CONFIG_ENV_VARS,
  DEFAULT_CONFIG,
  defineConfig,
  isLoopbackHost,
  loadConfig,
  loadConfigFromEnv,
  mergeConfig,
  readConfigFile,
} from './core/config.ts';
export type { AuthConfig, AuthConfigInput } from './core/config.ts';
export { diagnoseProvider } from './core/doctor/index.ts';
export type { CheckId, DiagnoseOptions, DoctorCheck, DoctorReport, Verdict } from './core/doctor/index.ts';
export { AuthError, isAuthError } from './core/errors.ts';
export type { AuthErrorCode, AuthErrorDetails } from './core/errors.ts';
export { consoleLogger, silentLogger } from './core/logger.ts';
export type { Logger } from './core/logger.ts';
export type { Profile } from './core/profile.ts';
export type { FetchLike } from './core/provider.ts';
export { fileProviderCache, MAX_PROVIDER_CACHE_SECONDS } from './core/provider-cache.ts';
export type { ProviderCacheStore } from './core/provider-cache.ts';
export type { SessionState } from './core/session/token-session.ts';
export { DEFAULT_RETRY_SCHEDULE } from './core/session/retry-schedule.ts';
export type { RetrySchedule } from './core/session/retry-schedule.ts';
export { createSystemBrowserOpener, openSystemBrowser } from './core/system-browser.ts';
export type { BrowserOpener } from './core/system-browser.ts';
export type { Vault } from './core/vault/vault.ts';
export {
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
  KeyringVault,
  keychainAccount,
  MemoryVault,
  deferredVault,
  openVault,
} from './core/vault/index.ts';
export type { KeyringVaultOptions, OpenVaultOptions, VaultLogger } from './core/vault/index.ts';
