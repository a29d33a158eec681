import { randomUUID } from 'node:crypto';
import { AuthError } from '../errors.ts';
import { KeyringVault } from './keyring-vault.ts';
import type { KeyringVaultOptions } from './keyring-vault.ts';
import { MemoryVault } from './memory-vault.ts';
import type { Vault } from './vault.ts';

/** Where {@link openVault} says that the session will not survive a restart. */
export interface VaultLogger {
  warn(message: string): void;
}

export interface OpenVaultOptions extends KeyringVaultOptions {
  /** Defaults to `console`. */
  logger?: VaultLogger;
  /**
   * `true` (the default): where no OS keychain answers, keep the session in
   * memory only and warn once. `false`: reject with `ERR_VAULT_UNAVAILABLE`
   * instead, for apps that would rather not run than make users sign in at
   * every start. There is no plaintext-on-disk fallback.
   */
  fallbackToMemory?: boolean;
}

/**
 * The OS keychain if it answers, else (unless `fallbackToMemory: false`) a
 * {@link MemoryVault} with one warning through `logger`.
 *
 * The probe is a real round trip that cannot touch the stored sign-in: it reads
 * the entry, then writes, reads back and removes a separate probe entry (same
 * service, account `<account> (probe)`). Reading alone is not enough: a Secret
 * Service without a default keyring (e.g. a fresh headless gnome-keyring)
 * answers reads with "nothing stored" and fails every write.
 *
 * @example
 * const vault = await openVault({ service: 'My App', account: keychainAccount(issuer, clientId), logger });
 * if (!vault.persistent) showBanner('You will need to sign in again after a restart.');
 */
export async function openVault(options: OpenVaultOptions): Promise<Vault> {
  const { logger = console, fallbackToMemory = true, ...keychain } = options;
  const vault = new KeyringVault(keychain);
  try {
    await vault.read();
    await probeWrite(new KeyringVault({ ...keychain, account: `${vault.account} (probe)` }));
    return vault;
  } catch (error) {
    if (!fallbackToMemory || !(error instanceof AuthError)) throw error;
    logger.warn(
      `No OS keychain available: you will need to sign in again after every restart. ${error.message} ` +
        'The session is kept in memory only; it is never written to disk in plaintext.',
    );
    return new MemoryVault();
  }
}

async function probeWrite(probe: KeyringVault): Promise<void> {
  const value = randomUUID();
  await probe.write(value);
  try {
    if ((await probe.read()) !== value) {
      throw new AuthError(
        'ERR_VAULT_UNAVAILABLE',
        'The OS keychain did not return what was just written to it.',
      );
    }
  } finally {
    await probe.clear();
  }
}

/**
 * A vault usable at once that becomes the one `opening` resolves to: for a
 * synchronous constructor that must not wait for the keychain probe. Every
 * operation waits for the opening; a failed opening fails each operation with
 * its error. Until then it reports itself as the keychain it is expected to be.
 */
export function deferredVault(opening: Promise<Vault>): Vault {
  let opened: Vault | undefined;
  const ready = opening.then((vault) => (opened = vault));
  // Reported by the first operation that needs the vault, not as an unhandled rejection.
  ready.catch(() => {});
  return {
    get kind() {
      return opened?.kind ?? 'keychain';
    },
    get persistent() {
      return opened?.persistent ?? true;
    },
    read: async () => (await ready).read(),
    write: async (value) => (await ready).write(value),
    clear: async () => (await ready).clear(),
  };
}
