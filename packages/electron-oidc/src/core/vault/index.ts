export type { Vault } from './vault.ts';
export {
  KeyringVault,
  keychainAccount,
  DEFAULT_KEYCHAIN_SERVICE,
  DEFAULT_KEYCHAIN_TIMEOUT_MS,
} from './keyring-vault.ts';
export type { KeyringVaultOptions } from './keyring-vault.ts';
export { MemoryVault } from './memory-vault.ts';
export { deferredVault, openVault } from './open-vault.ts';
export type { OpenVaultOptions, VaultLogger } from './open-vault.ts';
