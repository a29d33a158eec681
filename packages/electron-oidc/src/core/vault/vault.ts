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
