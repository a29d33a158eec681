import { createHash } from 'node:crypto';
import path from 'node:path';
import { AuthError } from '../errors.ts';
import { withLockFile } from './lock-file.ts';
import type { LockFileOptions } from './lock-file.ts';
import { fileExists, readFileCapped, removeFile, writeFileAtomic } from './atomic-file.ts';
import { MAX_SEALED_BYTES, SEALED_FILE_PROBLEM_TEXT, openSealedSession, sealSession } from './sealed-box.ts';
import { SerialQueue } from './serial-queue.ts';
import { assertEntryName } from './vault.ts';
import type { KeyStore, Vault, VaultLogger } from './vault.ts';
import { createVaultKey, isPlainSession, parseVaultKey } from './vault-key.ts';

export interface SealedFileVaultOptions {
  /** The sealed session file; {@link sealedVaultFiles} names one per account. */
  file: string;
  /** Where the 256-bit key rests, e.g. `new KeyringVault({ service, account })`. */
  keyStore: KeyStore;
  /**
   * Who the file belongs to, bound into every seal as GCM associated data:
   * {@link keychainAccount}`(issuer, clientId)`. A file of another provider or
   * client, copied over this one, fails authentication instead of being read.
   */
  account: string;
  /** Where unusable entries are reported (never with a token). Defaults to `console`. */
  logger?: VaultLogger;
  /** How the lock beside the file (`<file>.lock`) is judged stale and waited for; the defaults suit apps. */
  lock?: LockFileOptions;
}

/** The files of one account's sealed vault in `directory`. */
export interface SealedVaultFiles {
  /** The sealed session. */
  readonly session: string;
  /** Where a file-based key store (e.g. `SafeStorageKeyStore`) keeps the protected key. */
  readonly key: string;
}

/**
 * File names for `account` in `directory`: a readable part (lower-case letters,
 * digits and dashes only, so valid and never a reserved device name on any
 * OS) and a digest of the whole account, so two accounts never share a file.
 *
 * @example
 * sealedVaultFiles(app.getPath('userData'), keychainAccount('https://id.example.com', 'desktop')).session
 * // → '<userData>/https-id-example-com-desktop-<16 hex>.session'
 */
export function sealedVaultFiles(directory: string, account: string): SealedVaultFiles {
  const readable = account
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  const digest = createHash('sha256').update(account, 'utf8').digest('hex').slice(0, 16);
  const stem = path.join(directory, readable === '' ? digest : `${readable}-${digest}`);
  return { session: `${stem}.session`, key: `${stem}.key` };
}

/** Operations per session file, in call order across every instance (see {@link SerialQueue}). */
const files = new SerialQueue();
/** {@link SealedFileVault.exclusive} work per session file, one at a time in this process. */
const exclusives = new SerialQueue();

/**
 * A session of any size on every OS keychain. Windows Credential Manager holds
 * at most 2,560 bytes per entry, and a refresh token, ID token hint and DPoP
 * key do not fit; so the key store keeps only a random 256-bit key and the
 * session rests in an owner-only file, encrypted and authenticated with it
 * (AES-256-GCM, see `sealed-box.ts` for the format), written atomically.
 *
 * A missing, truncated, changed or foreign file, or a key without a file, or a
 * file without a key, reads as "signed out" with a warning saying why; never
 * a crash, never a token from another entry. A key store that cannot be reached
 * rejects with `ERR_VAULT_UNAVAILABLE`, as every vault does.
 *
 * An entry written before this vault existed (the session JSON itself in the
 * key store) is read once, sealed into the file, and replaced by a key.
 *
 * Several processes may share the file (the CLI run in parallel, two builds of
 * an app): {@link SealedFileVault.exclusive}, the first key's creation and the
 * migration each run under a lock file beside the session (`<file>.lock`, see
 * `withLockFile`), so one process at a time refreshes, creates or moves.
 */
export class SealedFileVault implements Vault {
  readonly kind: string;
  readonly persistent: boolean;
  readonly file: string;
  readonly account: string;
  readonly #keyStore: KeyStore;
  readonly #logger: VaultLogger;
  readonly #lock: LockFileOptions | undefined;
  /**
   * The sealed vault named `name` beside this one (see {@link Vault.entry}):
   * account `<account> #<name>` (bound into its seals, so an entry's file
   * copied over another's fails authentication), its session file
   * {@link sealedVaultFiles}`(<this folder>, <that account>).session`, its key
   * in `keyStore.entry(name)`, its own lock file. Present only where the key
   * store has `entry`: without one, every child would share this vault's key
   * entry, and a child's clear would take the key of all.
   */
  readonly entry?: (name: string) => SealedFileVault;

  constructor(options: SealedFileVaultOptions) {
    const { file, keyStore, account, logger = console, lock } = options;
    if (typeof file !== 'string' || !path.isAbsolute(file)) {
      throw new AuthError('ERR_CONFIG', 'vault `file` must be an absolute path.');
    }
    if (typeof account !== 'string' || account === '') {
      throw new AuthError(
        'ERR_CONFIG',
        'vault `account` must be a non-empty string, e.g. keychainAccount(issuer, clientId).',
      );
    }
    this.file = file;
    this.account = account;
    this.#keyStore = keyStore;
    this.#logger = logger;
    this.#lock = lock;
    this.kind = `${keyStore.kind}+file`;
    this.persistent = keyStore.persistent;
    if (typeof keyStore.entry === 'function') {
      const keyEntry = keyStore.entry.bind(keyStore);
      this.entry = (name) => this.#entry(name, keyEntry);
    }
  }

  #entry(name: string, keyEntry: (name: string) => KeyStore): SealedFileVault {
    assertEntryName(name);
    const keyStore = keyEntry(name);
    const account = `${this.account} #${name}`;
    const file = sealedVaultFiles(path.dirname(this.file), account).session;
    return new SealedFileVault({ file, keyStore, account, logger: this.#logger, lock: this.#lock });
  }

  /** The lock file beside the session. */
  get lockFile(): string {
    return `${this.file}.lock`;
  }

  /**
   * Runs `work` while no other caller in this process, and no other process,
   * runs its own for this file (see {@link Vault.exclusive}). A holder that was
   * killed blocks the next one only until its death is seen; one on another
   * host, until its lock has gone 10 s untouched.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return exclusives.run(this.file, () => this.#underLock(work));
  }

  /** `work` under the lock file, shared with this process's other holders (see `withLockFile`). */
  #underLock<T>(work: () => Promise<T>): Promise<T> {
    return withLockFile(this.lockFile, work, this.#lock);
  }

  read(): Promise<string | undefined> {
    return files.run(this.file, () => this.#read());
  }

  write(value: string): Promise<void> {
    if (typeof value !== 'string') {
      return Promise.reject(new TypeError('vault.write() takes a string.'));
    }
    return files.run(this.file, () => this.#write(value));
  }

  /**
   * Removes the file and the key; succeeds when either or both are missing.
   * Either removal alone makes the session unreadable (a copy of the file in a
   * backup is useless without its key), so one failure is a warning and only
   * both failing rejects.
   */
  clear(): Promise<void> {
    return files.run(this.file, async () => {
      const [file, key] = await Promise.allSettled([
        this.#onFile('clear', () => removeFile(this.file)),
        this.#onKeyStore(() => this.#keyStore.clear()),
      ]);
      if (file.status === 'rejected' && key.status === 'rejected') throw file.reason;
      for (const failed of [file, key]) {
        if (failed.status === 'rejected') {
          this.#logger.warn(`Signed out, but not every trace is gone: ${messageOf(failed.reason)}`);
        }
      }
    });
  }

  async #read(): Promise<string | undefined> {
    const stored = await this.#readKeyStore();
    // One process moves a plain entry into the file; another that waited finds the key instead.
    if (stored !== undefined && isPlainSession(stored)) {
      return this.#underLock(async () => this.#readEntry(await this.#readKeyStore()));
    }
    return this.#readEntry(stored);
  }

  /** The session the key store's entry `stored` leads to (a plain one is migrated: call it under the lock). */
  async #readEntry(stored: string | undefined): Promise<string | undefined> {
    if (stored === undefined) {
      if (await fileExists(this.file).catch(() => false)) {
        this.#signedOut(
          `its key is not in the ${this.#keyStore.kind}; the file is replaced at the next sign-in`,
        );
      }
      return undefined;
    }
    const key = parseVaultKey(stored);
    if (key === undefined) return this.#readUnsealed(stored);
    const found = await this.#onFile('read', () => readFileCapped(this.file, MAX_SEALED_BYTES));
    if (!found.found) return this.#signedOut('the file is missing (its key was found)');
    if ('refused' in found) {
      return this.#signedOut(found.refused === 'too-large' ? 'it is too large' : 'it is not a regular file');
    }
    const opened = openSealedSession(found.data, key, this.account);
    return opened.ok ? opened.value : this.#signedOut(SEALED_FILE_PROBLEM_TEXT[opened.problem]);
  }

  async #write(value: string): Promise<void> {
    const key = await this.#keyForWriting();
    await this.#onFile('write', () => writeFileAtomic(this.file, sealSession(value, key, this.account)));
  }

  /** The stored key, or a new one on first use (or in place of an unusable entry). */
  async #keyForWriting(): Promise<Buffer> {
    const existing = parseVaultKey(await this.#readKeyStore());
    if (existing !== undefined) return existing;
    // One process creates the key: another sealing with its own key meanwhile
    // would leave a file that the key store's final key cannot open.
    return this.#underLock(async () => {
      const found = parseVaultKey(await this.#readKeyStore());
      if (found !== undefined) return found;
      await this.#onKeyStore(() => this.#keyStore.write(createVaultKey().stored));
      // Read back rather than trusting the write: a store without the lock (an
      // older version of this library) may hold another process's key by now.
      const kept = parseVaultKey(await this.#readKeyStore());
      if (kept === undefined) {
        throw new AuthError(
          'ERR_VAULT_UNAVAILABLE',
          `The ${this.#keyStore.kind} did not keep the key just written to it, so the sign-in was not saved.`,
        );
      }
      return kept;
    });
  }

  #readKeyStore(): Promise<string | undefined> {
    return this.#onKeyStore(() => this.#keyStore.read());
  }

  /**
   * A key store entry that is not a key: today's plain session from before
   * this vault (moved into the file now), or something foreign (ignored).
   */
  async #readUnsealed(stored: string): Promise<string | undefined> {
    if (!isPlainSession(stored)) {
      return this.#signedOut(
        `the ${this.#keyStore.kind} entry holds neither a vault key nor a saved session`,
      );
    }
    const fresh = createVaultKey();
    try {
      // The file first: until the key replaces the plain entry, a crash leaves
      // the plain entry in place, and the next read migrates it again.
      await this.#onFile('write', () =>
        writeFileAtomic(this.file, sealSession(stored, fresh.key, this.account)),
      );
      await this.#onKeyStore(() => this.#keyStore.write(fresh.stored));
    } catch (error) {
      this.#logger.warn(
        `Could not move the saved sign-in from the ${this.#keyStore.kind} into ${this.file} yet ` +
          `(${messageOf(error)}); it is used as it is and moved at the next start.`,
      );
    }
    return stored;
  }

  #signedOut(reason: string): undefined {
    this.#logger.warn(`The saved sign-in in ${this.file} is not used, so you are signed out: ${reason}.`);
    return undefined;
  }

  async #onKeyStore<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthError(
        'ERR_VAULT_UNAVAILABLE',
        `The ${this.#keyStore.kind} holding the vault key failed: ${messageOf(error)}.`,
        { cause: error },
      );
    }
  }

  async #onFile<T>(action: 'read' | 'write' | 'clear', operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const what = { read: 'read the saved sign-in from', write: 'save the sign-in to', clear: 'remove' }[
        action
      ];
      throw new AuthError('ERR_VAULT_UNAVAILABLE', `Could not ${what} ${this.file}: ${messageOf(error)}.`, {
        cause: error,
      });
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
