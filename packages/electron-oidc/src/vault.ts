/**
 * `electron-oidc/vault`: the vaults themselves, for apps that choose or
 * compose one rather than let `openVault` (in `electron-oidc`) pick it.
 */
export {
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
  KeyringVault,
} from './core/vault/keyring-vault.ts';
export type { KeyringVaultOptions } from './core/vault/keyring-vault.ts';
export { MemoryVault } from './core/vault/memory-vault.ts';
export { deferredVault } from './core/vault/open-vault.ts';
export type { OpenVaultOptions } from './core/vault/open-vault.ts';
export { SealedFileVault, sealedVaultFiles } from './core/vault/sealed-file-vault.ts';
export type { SealedFileVaultOptions, SealedVaultFiles } from './core/vault/sealed-file-vault.ts';
export type { KeyStore, VaultLogger } from './core/vault/vault.ts';
