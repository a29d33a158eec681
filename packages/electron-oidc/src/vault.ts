/**
 * `electron-oidc/vault`: the vaults themselves, for apps that choose or
 * compose one rather than let `openVault` (in `electron-oidc`) pick it.
 */
export {
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
  deferredVault,
  KeyringVault,
  MemoryVault,
  SealedFileVault,
  sealedVaultFiles,
} from './core/vault/index.ts';
export type {
  KeyringVaultOptions,
  KeyStore,
  OpenVaultOptions,
  SealedFileVaultOptions,
  SealedVaultFiles,
  VaultLogger,
} from './core/vault/index.ts';
