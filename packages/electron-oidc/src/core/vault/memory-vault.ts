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

  async read(): Promise<string | undefined> {
    return this.#value;
  }

  async write(value: string): Promise<void> {
    if (typeof value !== 'string') {
      throw new TypeError('vault.write() takes a string.');
    }
    this.#value = value;
  }

  async clear(): Promise<void> {
    this.#value = undefined;
  }
}
