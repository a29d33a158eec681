export type { KeyStore, Vault, VaultLogger } from './vault.ts';
export {
  KeyringVault,
  keychainAccount,
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
} from './keyring-vault.ts';
export type { KeyringVaultOptions } from './keyring-vault.ts';
export { MemoryVault } from './memory-vault.ts';
export { deferredVault, openVault } from './open-vault.ts';
export type { OpenVaultOptions } from './open-vault.ts';
export { SealedFileVault, sealedVaultFiles } from './sealed-file-vault.ts';
export type { SealedFileVaultOptions, SealedVaultFiles } from './sealed-file-vault.ts';
