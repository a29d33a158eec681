import { assertEntryName } from './vault.ts';
import type { Vault } from './vault.ts';

/**
 * Keeps the refresh token in this process only: the user signs in again after
 * every restart. The fallback where no OS keychain answers, because the other
 * choice, plaintext on disk, would hand the token to anything that reads the
 * user's files.
 */
export class MemoryVault implements Vault {
  readonly kind = 'memory';
  readonly persistent = false;
  #value: string | undefined;
  /** Kept, so that every `entry(name)` of this vault is one store, as for the persistent vaults. */
  readonly #entries = new Map<string, MemoryVault>();

  async read(): Promise<string | undefined> {
    return this.#value;
  }

  async write(value: string): Promise<void> {
    if (typeof value !== 'string') {
      throw new TypeError('vault.write() takes a string.');
    }
    this.#value = value;
  }

  /** Forgets this entry's value only: its {@link MemoryVault.entry} children keep theirs. */
  async clear(): Promise<void> {
    this.#value = undefined;
  }

  /** The child store named `name` (see {@link Vault.entry}), created on first use. */
  entry(name: string): MemoryVault {
    assertEntryName(name);
    let child = this.#entries.get(name);
    if (child === undefined) {
      child = new MemoryVault();
      this.#entries.set(name, child);
    }
    return child;
  }
}
