/**
 * electron-oidc: sign-in for desktop apps with OpenID Connect, done the way
 * RFC 8252 and RFC 9700 ask (system browser, loopback redirect, PKCE, verified
 * ID tokens, refresh token in the OS keychain). This entry point is
 * runtime-agnostic: it runs in plain Node and in Electron's main process.
 *
 * It holds what an app uses: the session's verbs, the configuration loaders,
 * the error type and its codes, the vault and the types these need. The
 * building blocks are subpaths: `electron-oidc/config` (the variables,
 * defaults and ready-made option values), `electron-oidc/vault` (the vaults
 * themselves), `electron-oidc/doctor` (the provider check),
 * `electron-oidc/system-browser`, and for Electron `electron-oidc/bridge`,
 * `electron-oidc/electron` and `electron-oidc/preload`.
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
export type {
  AccountSummary,
  DesktopAuth,
  DesktopAuthOptions,
  SignOutOptions,
  SignOutResult,
} from './core/desktop-auth.ts';
export { defineConfig, loadConfig, loadConfigFromEnv } from './core/config.ts';
export type { AuthConfig, AuthConfigInput } from './core/config.ts';
export { AUTH_ERROR_CODES, AuthError, isAuthError } from './core/errors.ts';
export type { AuthErrorCode } from './core/errors.ts';
export { keychainAccount } from './core/vault/keyring-vault.ts';
export { openVault } from './core/vault/open-vault.ts';
export type { Vault } from './core/vault/vault.ts';
export { fileProviderCache } from './core/provider-cache.ts';
export type { ProviderCacheStore } from './core/provider-cache.ts';
export type { Logger } from './core/logger.ts';
export type { Profile } from './core/profile.ts';
export type { FetchLike } from './core/fetch-like.ts';
export type { SessionState } from './core/session/token-session.ts';
export { stepUpRequirement } from './core/step-up.ts';
export type { StepUpMode, StepUpRequirement } from './core/step-up.ts';
export type { ApiFetch, ApiRequestInit } from './core/api-client.ts';
