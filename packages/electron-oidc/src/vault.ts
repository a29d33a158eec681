/**
 * `electron-oidc/vault`: the vaults themselves, for apps that choose one
 * rather than let `openVault` (in `electron-oidc`) probe the OS keychain.
 */
export {
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
  deferredVault,
  KeyringVault,
  MemoryVault,
} from './core/vault/index.ts';
export type { KeyringVaultOptions, OpenVaultOptions, VaultLogger } from './core/vault/index.ts';
