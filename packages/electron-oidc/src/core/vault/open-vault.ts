import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AuthError } from '../errors.ts';
import { KeyringVault } from './keyring-vault.ts';
import type { KeyringVaultOptions } from './keyring-vault.ts';
import { OWNER_ONLY_FOLDER_MODE } from './atomic-file.ts';
import { MemoryVault } from './memory-vault.ts';
import { SealedFileVault, sealedVaultFiles } from './sealed-file-vault.ts';
import { assertEntryName } from './vault.ts';
import type { Vault, VaultLogger } from './vault.ts';

export type { VaultLogger } from './vault.ts';

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
  /**
   * A folder of the app's own (in Electron, `app.getPath('userData')`). With
   * it, the keychain entry holds only a 256-bit key and the session rests in
   * `<directory>/<name from account>.session`, encrypted and authenticated
   * with that key ({@link SealedFileVault}), so a session of any size fits
   * every keychain (Windows Credential Manager holds at most 2,560 bytes). An
   * entry stored without it is moved into the file on first read. Without it,
   * the whole session rests in the keychain entry, as before.
   */
  directory?: string;
}

/**
 * The OS keychain if it answers, else (unless `fallbackToMemory: false`) a
 * {@link MemoryVault} with one warning through `logger`.
 *
 * The probe is a real round trip that cannot touch the stored sign-in: it reads
 * the entry, then writes, reads back and removes a separate probe entry (same
 * service, account `<account> (probe <random UUID>)`, one per call). Reading alone is not enough: a Secret
 * Service without a default keyring (e.g. a fresh headless gnome-keyring)
 * answers reads with "nothing stored" and fails every write.
 *
 * @example
 * const vault = await openVault({ service: 'My App', account: keychainAccount(issuer, clientId), logger });
 * if (!vault.persistent) showBanner('You will need to sign in again after a restart.');
 */
export async function openVault(options: OpenVaultOptions): Promise<Vault> {
  const { logger = console, fallbackToMemory = true, directory, ...keychain } = options;
  const vault = new KeyringVault(keychain);
  if (directory !== undefined && (typeof directory !== 'string' || !path.isAbsolute(directory))) {
    throw new AuthError('ERR_CONFIG', 'vault `directory` must be an absolute path.', { option: 'directory' });
  }
  try {
    await vault.read();
    // A probe entry of this call's own: processes started together (the CLI run in parallel)
    // would otherwise read each other's probe value, or find it deleted under them.
    await probeWrite(new KeyringVault({ ...keychain, account: `${vault.account} (probe ${randomUUID()})` }));
  } catch (error) {
    return fallBackToMemory(error, 'No OS keychain available', { logger, fallbackToMemory });
  }
  if (directory === undefined) return vault;
  try {
    await openDirectory(directory);
  } catch (error) {
    return fallBackToMemory(error, 'No folder for the saved sign-in', { logger, fallbackToMemory });
  }
  const { session } = sealedVaultFiles(directory, vault.account);
  return new SealedFileVault({ file: session, keyStore: vault, account: vault.account, logger });
}

/** A memory vault and one warning, or (with `fallbackToMemory: false`) the error. */
export function fallBackToMemory(
  error: unknown,
  headline: string,
  options: { logger: VaultLogger; fallbackToMemory: boolean },
): MemoryVault {
  if (!options.fallbackToMemory || !(error instanceof AuthError)) throw error;
  options.logger.warn(
    `${headline}: you will need to sign in again after every restart. ${error.message} ` +
      'The session is kept in memory only; it is never written to disk in plaintext.',
  );
  return new MemoryVault();
}

/** The folder for the session file, created owner-only if missing. */
export async function openDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true, mode: OWNER_ONLY_FOLDER_MODE });
  } catch (cause) {
    throw new AuthError(
      'ERR_VAULT_UNAVAILABLE',
      `Could not create ${directory}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { cause },
    );
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
 * Its entries are deferred vaults too (each exclusive as its opened entry is),
 * and fail with `ERR_VAULT_UNAVAILABLE` where the opened vault has none.
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
    exclusive: async <T>(work: () => Promise<T>): Promise<T> => {
      const vault = await ready;
      return vault.exclusive === undefined ? work() : vault.exclusive(work);
    },
    entry: (name) => {
      assertEntryName(name);
      return deferredVault(ready.then((vault) => entryOf(vault, name)));
    },
  };
}

/** `vault.entry(name)`, or why there is none (the opened store holds one account). */
function entryOf(vault: Vault, name: string): Vault {
  if (vault.entry !== undefined) return vault.entry(name);
  throw new AuthError(
    'ERR_VAULT_UNAVAILABLE',
    `The ${vault.kind} vault keeps one entry only, so it cannot keep the entry "${name}" of another account.`,
  );
}
