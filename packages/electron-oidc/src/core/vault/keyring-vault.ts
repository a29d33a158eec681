import { AsyncEntry } from '@napi-rs/keyring';
import { AuthError } from '../errors.ts';
import { SerialQueue } from './serial-queue.ts';
import { assertEntryName } from './vault.ts';
import type { Vault } from './vault.ts';

/** The keychain service name used when the app names none. */
export const DEFAULT_KEYCHAIN_SERVICE = 'electron-oidc';

/**
 * How long one keychain operation may take before it counts as "no keychain
 * answered". A hung Secret Service already fails after about 2 s on its own
 * (measured with a stopped gnome-keyring); this is the safety net above that.
 */
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5_000;

export interface KeyringVaultOptions {
  /**
   * The keychain service (macOS: the item's "Where"; Secret Service: the
   * `service` attribute). Defaults to {@link DEFAULT_KEYCHAIN_SERVICE}; an app
   * usually passes its own name so users recognise the entry.
   */
  service?: string;
  /**
   * The keychain account: one entry per signed-in provider and client. Use
   * {@link keychainAccount} so that two providers, or two clients of one
   * provider, never share an entry.
   */
  account: string;
  /** See {@link DEFAULT_KEYCHAIN_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * The account name for one provider and client: `<issuer> <clientId>`. A space
 * cannot occur inside an issuer URL, so the pair is unambiguous.
 *
 * @example
 * new KeyringVault({ service: 'My App', account: keychainAccount('https://id.example.com', 'desktop') })
 */
export function keychainAccount(issuer: string, clientId: string): string {
  return `${issuer} ${clientId}`;
}

/**
 * The refresh token in the OS keychain (macOS Keychain, Windows Credential
 * Manager, Linux Secret Service) through `@napi-rs/keyring`.
 *
 * On Linux the entry is pinned to the Secret Service: left to its default,
 * `@napi-rs/keyring` falls back to the kernel keyring (keyutils), which forgets
 * everything at reboot, so `persistent` would be a lie and a token written
 * there would be invisible once the Secret Service is back.
 *
 * Reads, writes and clears use the package's async methods, which run off the
 * main thread. Creating the entry is synchronous, though, and on Linux it opens
 * a D-Bus session with the Secret Service: that takes about a millisecond, or
 * up to about 2 s when the service is hung (and it blocks for as long as a bus
 * that accepts connections never answers). So the entry is created once, on
 * first use (normally {@link openVault}'s probe), and only again after a failure.
 *
 * Operations on one entry run one after another in call order, across all
 * instances in this process: a `clear()` at sign-out is never overtaken by a
 * `write()` of a rotated token issued before it, and two clears of one entry
 * do not race (gnome-keyring then fails the second with "No such interface
 * org.freedesktop.Secret.Item", observed).
 */
export class KeyringVault implements Vault {
  readonly kind = 'keychain';
  readonly persistent = true;
  readonly service: string;
  readonly account: string;
  readonly #timeoutMs: number;
  #entry: AsyncEntry | undefined;

  constructor(options: KeyringVaultOptions) {
    const { service = DEFAULT_KEYCHAIN_SERVICE, account, timeoutMs = DEFAULT_KEYCHAIN_TIMEOUT_MS } = options;
    if (typeof service !== 'string' || service === '') {
      throw new AuthError('ERR_CONFIG', 'vault `service` must be a non-empty string.');
    }
    if (typeof account !== 'string' || account === '') {
      throw new AuthError(
        'ERR_CONFIG',
        'vault `account` must be a non-empty string, e.g. keychainAccount(issuer, clientId).',
      );
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new AuthError('ERR_CONFIG', 'vault `timeoutMs` must be a positive number of milliseconds.');
    }
    this.service = service;
    this.account = account;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * The keychain entry of the same service whose account is `<account> #<name>`
   * (see {@link Vault.entry}): a separate item, so clearing one leaves the
   * others, and the same name always finds the same item. Names hold no space
   * or `#`, so a child's own children (`<account> #a #b`) never meet another
   * name's item.
   */
  entry(name: string): KeyringVault {
    assertEntryName(name);
    return new KeyringVault({
      service: this.service,
      account: `${this.account} #${name}`,
      timeoutMs: this.#timeoutMs,
    });
  }

  /**
   * Runs `work` while no other caller in this process runs its own for this
   * entry. The keychain alone offers no lock across processes: processes
   * sharing a session should use `SealedFileVault` (`openVault`'s
   * `directory`), whose lock file keeps them apart.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return exclusives.run(this.#entryName(), work);
  }

  async read(): Promise<string | undefined> {
    const value = await this.#run('read', (entry, signal) => entry.getPassword(signal));
    return value ?? undefined;
  }

  async write(value: string): Promise<void> {
    if (typeof value !== 'string') {
      throw new TypeError('vault.write() takes a string.');
    }
    await this.#run('write', (entry, signal) => entry.setPassword(value, signal));
  }

  async clear(): Promise<void> {
    // `false` means nothing was stored, which the contract counts as success;
    // a failed deletion rejects instead (see the package's typings).
    await this.#run('clear', (entry, signal) => entry.deletePassword(signal));
  }

  #run<T>(action: Action, operation: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>): Promise<T> {
    return entries.run(this.#entryName(), () => this.#attempt(action, operation));
  }

  #entryName(): string {
    return JSON.stringify([this.service, this.account]);
  }

  async #attempt<T>(
    action: Action,
    operation: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // The signal is passed on, but a call already running in the native code
    // does not stop for it (measured), so the race is what bounds the wait.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new KeychainTimeout(this.#timeoutMs));
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([operation(this.#openEntry(), controller.signal), timeout]);
    } catch (error) {
      // A restarted keychain daemon invalidates the old session: start afresh next time.
      this.#entry = undefined;
      throw vaultUnavailable(action, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #openEntry(): AsyncEntry {
    this.#entry ??= new AsyncEntry(this.service, this.account, { linux: { store: 'secret-service' } });
    return this.#entry;
  }
}

type Action = 'read' | 'write' | 'clear';

/** Operations per entry (service and account), see the class comment. */
const entries = new SerialQueue();
/** {@link KeyringVault.exclusive} work per entry: a second queue, as that work itself reads and writes the entry. */
const exclusives = new SerialQueue();

class KeychainTimeout extends Error {
  constructor(ms: number) {
    super(`it did not answer within ${ms} ms`);
    this.name = 'KeychainTimeout';
  }
}

const ACTION_TEXT: Record<Action, string> = {
  read: 'read the saved sign-in from',
  write: 'save the sign-in to',
  clear: 'remove the saved sign-in from',
};

function vaultUnavailable(action: Action, cause: unknown): AuthError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AuthError(
    'ERR_VAULT_UNAVAILABLE',
    `Could not ${ACTION_TEXT[action]} the OS keychain: ${detail}. ${keychainHint()}`,
    {
      cause,
    },
  );
}

function keychainHint(): string {
  switch (process.platform) {
    case 'darwin':
      return 'Is the login keychain unlocked (Keychain Access)?';
    case 'win32':
      return 'Is Windows Credential Manager available to this user?';
    default:
      return 'On Linux this needs a Secret Service on the D-Bus session: is gnome-keyring or KWallet running and unlocked, with a default keyring?';
  }
}
