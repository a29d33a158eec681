import { AuthError } from '../errors.ts';

/**
 * Where the refresh token rests between launches. A vault stores one opaque
 * string (the library encodes and validates what it puts there); it knows
 * nothing of tokens, so an app may bring its own store.
 *
 * Methods reject with an `AuthError` of code `ERR_VAULT_UNAVAILABLE` when the
 * store cannot be read or written; they never return partial data.
 */
export interface Vault {
  /** What kind of store this is, for logs and status output (e.g. `keychain`, `memory`). */
  readonly kind: string;
  /** Whether what is stored survives the process (false for memory only). */
  readonly persistent: boolean;
  /** The stored value, or `undefined` when nothing is stored. */
  read(): Promise<string | undefined>;
  /** Replaces the stored value. */
  write(value: string): Promise<void>;
  /** Removes the stored value; succeeds when nothing was stored. */
  clear(): Promise<void>;
  /**
   * Runs `work` while no other holder of this entry runs its own: the session
   * re-reads, refreshes and stores a rotated refresh token inside it, so that
   * two processes never present one token (a reuse the provider answers by
   * revoking the grant, RFC 9700 §4.14.2). Optional: a vault without it is
   * used by one process at a time, and the session keeps its callers apart
   * within the process itself.
   */
  exclusive?<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Another entry of the same store, named `name`, beside this one (the library keeps
   * one per signed-in account, and an index of accounts in this one). Entries are
   * independent: clearing one leaves the others. The same name gives the same entry.
   * Optional: a vault without it holds one account.
   */
  entry?(name: string): Vault;
}

/**
 * Where a vault reports what it could not use (a corrupt or foreign entry, a
 * missing keychain). Messages never contain a token.
 */
export interface VaultLogger {
  warn(message: string): void;
}

/**
 * Where a {@link SealedFileVault} keeps its 256-bit key: the same contract as a
 * {@link Vault} (one short string), named for what it holds, so every vault
 * can hold a key. The OS keychain ({@link KeyringVault}) is the default; the
 * Electron app may use `SafeStorageKeyStore` from `electron-oidc/electron`.
 */
export type KeyStore = Vault;

/**
 * The longest {@link Vault.entry} name: 64 base64url characters hold 48 bytes,
 * room for an account id such as a SHA-256 digest (43 characters).
 */
export const MAX_ENTRY_NAME_LENGTH = 64;

/**
 * Refuses an entry name a vault could not use as it is (see {@link Vault.entry}):
 * names become parts of keychain accounts and file names, so only base64url
 * characters are allowed, which need no escaping anywhere and cannot reach
 * outside the folder.
 */
export function assertEntryName(name: unknown): asserts name is string {
  const problem = entryNameProblem(name);
  if (problem !== undefined) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : typeof name;
    throw new AuthError('ERR_CONFIG', `The vault entry name ${shown} ${problem}.`);
  }
}

function entryNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  if (name.length > MAX_ENTRY_NAME_LENGTH) {
    return `is ${name.length} characters long, more than ${MAX_ENTRY_NAME_LENGTH}`;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return 'may hold only the characters A-Z, a-z, 0-9, _ and -';
  return undefined;
}
