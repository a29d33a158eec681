import path from 'node:path';
import type { SafeStorage } from 'electron';
import { AuthError } from '../core/errors.ts';
import { readFileCapped, removeFile, writeFileAtomic } from '../core/vault/atomic-file.ts';
import { fallBackToMemory, openDirectory } from '../core/vault/open-vault.ts';
import { SealedFileVault, sealedVaultFiles } from '../core/vault/sealed-file-vault.ts';
import { assertEntryName } from '../core/vault/vault.ts';
import type { KeyStore, Vault, VaultLogger } from '../core/vault/vault.ts';

/** The part of Electron's `safeStorage` this module uses: its asynchronous API (Electron ≥ 39). */
export type SafeStorageApi = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync' | 'getSelectedStorageBackend'
>;

/**
 * The Linux backends that keep safeStorage's key in an OS password manager.
 * Everything else is refused: `basic_text` encrypts with a key hard-coded in
 * Chromium (anyone who copies the file can decrypt it), and `unknown` means
 * the backend could not be determined.
 */
const PROTECTING_LINUX_BACKENDS: ReadonlySet<string> = new Set([
  'gnome_libsecret',
  'kwallet',
  'kwallet5',
  'kwallet6',
]);

/** A protected 46-character key is about 100 bytes; anything much larger was not written here. */
const MAX_PROTECTED_KEY_BYTES = 64 * 1024;

export interface SafeStorageKeyStoreOptions {
  /** Electron's `safeStorage` (from `electron`, in the main process, once the app is ready). */
  safeStorage: SafeStorageApi;
  /** Where the protected key rests; {@link sealedVaultFiles}`(directory, account).key`. */
  file: string;
  /**
   * The account whose key this is (`openSafeStorageVault` passes it): names
   * the key files of {@link SafeStorageKeyStore.entry}, so they sit beside the
   * sealed vault's entry files. Defaults to the name of `file`.
   */
  account?: string;
  /** Where an unreadable key file is reported. Defaults to `console`. */
  logger?: VaultLogger;
  /** Defaults to `process.platform`; the `basic_text` check applies on Linux. */
  platform?: NodeJS.Platform;
}

/**
 * Refuses a `safeStorage` that would not protect anything: unavailable, or on
 * Linux any backend but an OS password manager (`basic_text` is a fixed key).
 * Rejects with `ERR_VAULT_UNAVAILABLE` naming the backend.
 */
export async function assertSafeStorageProtects(
  safeStorage: SafeStorageApi,
  platform: NodeJS.Platform = process.platform,
): Promise<void> {
  // Also what initialises the asynchronous encryptor (see electron.d.ts), and
  // on Linux what selects the backend reported below.
  if (!(await safeStorage.isAsyncEncryptionAvailable())) {
    throw new AuthError(
      'ERR_VAULT_UNAVAILABLE',
      "Electron's safeStorage cannot encrypt here (it needs the app to be ready, and on Linux a running gnome-keyring or KWallet).",
    );
  }
  if (platform !== 'linux') return;
  const backend = safeStorage.getSelectedStorageBackend();
  if (PROTECTING_LINUX_BACKENDS.has(backend)) return;
  throw new AuthError(
    'ERR_VAULT_UNAVAILABLE',
    backend === 'basic_text'
      ? "Electron's safeStorage uses the `basic_text` backend here, whose key is the same in every copy of Chromium, so it protects nothing; " +
          'refusing it. Start gnome-keyring or KWallet, or pass --password-store=gnome-libsecret (or kwallet6).'
      : `Electron's safeStorage backend is \`${backend}\`, not an OS password manager; refusing it.`,
  );
}

/**
 * A {@link KeyStore} for the Electron main process: the vault key encrypted
 * by Electron's `safeStorage` (macOS Keychain, Windows DPAPI, Linux Secret
 * Service or KWallet hold safeStorage's own key) in a file beside the session.
 * Every read and write first checks {@link assertSafeStorageProtects}.
 *
 * A key file that safeStorage cannot decrypt (another user's, another
 * machine's, damaged) reads as "no key", with a warning: the session is
 * signed out and the next sign-in writes a new key.
 */
export class SafeStorageKeyStore implements KeyStore {
  readonly kind = 'safeStorage';
  readonly persistent = true;
  readonly file: string;
  /** See {@link SafeStorageKeyStoreOptions.account}. */
  readonly account: string;
  readonly #safeStorage: SafeStorageApi;
  readonly #logger: VaultLogger;
  readonly #platform: NodeJS.Platform;

  constructor(options: SafeStorageKeyStoreOptions) {
    const { safeStorage, file, account, logger = console, platform = process.platform } = options;
    if (typeof file !== 'string' || !path.isAbsolute(file)) {
      throw new AuthError('ERR_CONFIG', 'key store `file` must be an absolute path.', { option: 'file' });
    }
    if (account !== undefined && (typeof account !== 'string' || account === '')) {
      throw new AuthError('ERR_CONFIG', 'key store `account` must be a non-empty string.', {
        option: 'account',
      });
    }
    this.#safeStorage = safeStorage;
    this.file = file;
    this.account = account ?? path.basename(file);
    this.#logger = logger;
    this.#platform = platform;
  }

  /**
   * The key store of entry `name` (see `Vault.entry`): account `<account>
   * #<name>`, file {@link sealedVaultFiles}`(<this folder>, <that account>).key`.
   * A sealed vault's `entry(name)` puts its session at the `.session` of those
   * same files, so with one account for both (as `openSafeStorageVault` does)
   * an entry's key and session sit side by side, as the first account's do.
   * The digest in the file name keeps `a` and `A` apart where file names
   * ignore case (macOS, Windows).
   */
  entry(name: string): SafeStorageKeyStore {
    assertEntryName(name);
    const account = `${this.account} #${name}`;
    return new SafeStorageKeyStore({
      safeStorage: this.#safeStorage,
      file: sealedVaultFiles(path.dirname(this.file), account).key,
      account,
      logger: this.#logger,
      platform: this.#platform,
    });
  }

  async read(): Promise<string | undefined> {
    await assertSafeStorageProtects(this.#safeStorage, this.#platform);
    const found = await this.#onFile('read', () => readFileCapped(this.file, MAX_PROTECTED_KEY_BYTES));
    if (!found.found) return undefined;
    if ('refused' in found)
      return this.#unusable(`it is ${found.refused === 'too-large' ? 'too large' : 'not a regular file'}`);
    let decrypted;
    try {
      decrypted = await this.#safeStorage.decryptStringAsync(found.data);
    } catch (error) {
      return this.#unusable(
        `safeStorage could not decrypt it (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (decrypted.shouldReEncrypt) {
      // safeStorage's own key was rotated or upgraded: store under the new one.
      await this.#store(decrypted.result).catch((error: unknown) =>
        this.#logger.warn(`Could not re-encrypt ${this.file} with safeStorage's new key: ${String(error)}`),
      );
    }
    return decrypted.result;
  }

  async write(value: string): Promise<void> {
    if (typeof value !== 'string') throw new TypeError('keyStore.write() takes a string.');
    await assertSafeStorageProtects(this.#safeStorage, this.#platform);
    await this.#store(value);
  }

  async clear(): Promise<void> {
    await this.#onFile('clear', () => removeFile(this.file));
  }

  async #store(value: string): Promise<void> {
    const encrypted = await this.#safeStorage.encryptStringAsync(value);
    await this.#onFile('write', () => writeFileAtomic(this.file, encrypted));
  }

  #unusable(reason: string): undefined {
    this.#logger.warn(`The vault key in ${this.file} is not used: ${reason}.`);
    return undefined;
  }

  async #onFile<T>(action: 'read' | 'write' | 'clear', operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (cause) {
      throw new AuthError(
        'ERR_VAULT_UNAVAILABLE',
        `Could not ${action} the vault key file ${this.file}: ${cause instanceof Error ? cause.message : String(cause)}.`,
        { cause },
      );
    }
  }
}

export interface OpenSafeStorageVaultOptions {
  safeStorage: SafeStorageApi;
  /** The app's data folder, e.g. `app.getPath('userData')`. */
  directory: string;
  /** `keychainAccount(issuer, clientId)`: names the files and is bound into the seal. */
  account: string;
  logger?: VaultLogger;
  /** As in `openVault`: `true` (default) keeps the session in memory, with a warning, when safeStorage is refused. */
  fallbackToMemory?: boolean;
  platform?: NodeJS.Platform;
}

/**
 * A {@link SealedFileVault} whose key safeStorage protects, checked before
 * use; where safeStorage is refused (unavailable, or `basic_text` on Linux), a
 * memory vault with one warning, as `openVault` does without a keychain.
 *
 * @example
 * await app.whenReady();
 * const vault = await openSafeStorageVault({ safeStorage, directory: app.getPath('userData'), account: keychainAccount(issuer, clientId) });
 */
export async function openSafeStorageVault(options: OpenSafeStorageVaultOptions): Promise<Vault> {
  const { safeStorage, directory, account, logger = console, fallbackToMemory = true, platform } = options;
  if (typeof directory !== 'string' || !path.isAbsolute(directory)) {
    throw new AuthError('ERR_CONFIG', 'vault `directory` must be an absolute path.', { option: 'directory' });
  }
  const files = sealedVaultFiles(directory, account);
  try {
    await assertSafeStorageProtects(safeStorage, platform);
    await openDirectory(directory);
  } catch (error) {
    return fallBackToMemory(error, "No protected storage (Electron's safeStorage)", {
      logger,
      fallbackToMemory,
    });
  }
  const keyStore = new SafeStorageKeyStore({ safeStorage, file: files.key, account, logger, platform });
  return new SealedFileVault({ file: files.session, keyStore, account, logger });
}
