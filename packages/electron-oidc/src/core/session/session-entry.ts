import type { DPoPMode } from '../config.ts';
import { DPoPKey } from '../dpop/key.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';
import { decodeStoredSession, encodeStoredSession } from './stored-session.ts';
import type { StoredSession } from './stored-session.ts';

/**
 * An opaque string that another part of the library keeps in the vault entry
 * beside the refresh token, so that the vault vouches for something stored
 * elsewhere (the provider connection: the digest of its kept discovery
 * document). The session hands on the value it read and stores the value it
 * is given; it never looks inside.
 */
export interface VaultEntryBinding {
  /** Receives the value read with the stored refresh token, before that token is first used. */
  restored(value: string | undefined): void;
  /** The value to keep with the refresh token from now on. */
  readonly current: string | undefined;
}

/** What {@link SessionEntry} needs. */
export interface SessionEntryOptions {
  vault: Vault;
  /** The issuer and client the stored entry must belong to. */
  identity: { readonly issuer: string; readonly clientId: string };
  logger: Logger;
  /** The configured DPoP mode: which stored entries may be used (default `auto`: DPoP-bound and Bearer alike). */
  dpop?: DPoPMode | undefined;
  /** See {@link VaultEntryBinding}. */
  binding?: VaultEntryBinding | undefined;
}

/** A usable session read from the entry: its user, refresh token and key, and the binding value kept with them. */
export interface FoundSession {
  readonly sub: string;
  readonly refreshToken: string;
  /** The key the refresh token is bound to; `undefined` for a Bearer session. */
  readonly dpopKey: DPoPKey | undefined;
  readonly binding: string | undefined;
}

/**
 * Whether the caller still wants the work it asked for: checked when a write
 * gets its turn and between the steps of a read, so that work for a session
 * since replaced or ended is dropped.
 */
export type StillWanted = () => boolean;

/** Why a stored entry's binding does not fit the configured mode, if it does not. */
function modeRefusal(stored: StoredSession, mode: DPoPMode): string | undefined {
  if (stored.dpop !== undefined && mode === 'off') {
    return 'the stored session is DPoP-bound (RFC 9449) and "dpop" is "off"';
  }
  if (stored.dpop === undefined && mode === 'required') {
    return 'the stored session is not DPoP-bound and "dpop" is "required"';
  }
  return undefined;
}

/**
 * The vault entry of one token session (the format: `stored-session.ts`):
 * how it is read, stored and cleared. Vault failures are logged here and
 * never thrown; the session decides what a missing entry means.
 */
export class SessionEntry {
  readonly #vault: Vault;
  readonly #identity: { readonly issuer: string; readonly clientId: string };
  readonly #logger: Logger;
  readonly #dpopMode: DPoPMode;
  readonly #binding: VaultEntryBinding | undefined;
  /** The binding value in the vault's entry, as far as this process knows. */
  #storedBinding: string | undefined;
  /** Vault writes and clears run one after another, in call order. */
  #vaultQueue: Promise<void> = Promise.resolve();

  constructor(options: SessionEntryOptions) {
    this.#vault = options.vault;
    this.#identity = options.identity;
    this.#logger = options.logger;
    this.#dpopMode = options.dpop ?? 'auto';
    this.#binding = options.binding;
  }

  /** Whether the binding's value differs from the one in the vault's entry, as far as this process knows. */
  get bindingChanged(): boolean {
    return this.#binding?.current !== this.#storedBinding;
  }

  #enqueueVault<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#vaultQueue.then(work);
    this.#vaultQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * The session the entry holds, for a silent sign-in; `undefined` (logged)
   * when it cannot be read or used, and (silently) when there is none or
   * `stillWanted` no longer holds once it is read.
   */
  async read(stillWanted: StillWanted): Promise<FoundSession | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.#vault.read();
    } catch (err) {
      this.#logger.warn(
        `Could not read the ${this.#vault.kind} vault, so no stored session is restored (${err instanceof Error ? err.message : String(err)}).`,
      );
      return undefined;
    }
    if (raw === undefined || !stillWanted()) return undefined;
    const decoded = decodeStoredSession(raw, this.#identity);
    if (!decoded.ok) {
      this.#logger.warn(
        `Ignoring the stored session (${decoded.problem}): ${decoded.detail}. Sign in again.`,
      );
      return undefined;
    }
    return this.#found(decoded.session);
  }

  /**
   * The session as another process left it in the entry: the same user with
   * a refresh token other than `than`'s. `undefined` when the entry holds
   * nothing newer, another user's session, or cannot be read.
   */
  async readNewer(
    than: { readonly sub: string; readonly refreshToken: string | undefined },
    stillWanted: StillWanted,
  ): Promise<FoundSession | undefined> {
    let raw: string | undefined;
    try {
      // Behind this session's own pending writes, so that it never finds its own older token.
      raw = await this.#enqueueVault(() => this.#vault.read());
    } catch (err) {
      this.#logger.warn(
        `Could not re-read the ${this.#vault.kind} vault for a refresh token another process may have stored; going on with the one in memory (${err instanceof Error ? err.message : String(err)}).`,
      );
      return undefined;
    }
    const decoded = raw === undefined ? undefined : decodeStoredSession(raw, this.#identity);
    if (!decoded?.ok || !stillWanted()) return undefined;
    const stored = decoded.session;
    if (stored.sub !== than.sub || stored.refreshToken === than.refreshToken) return undefined;
    // The other process's refresh token is bound to the key it stored with it (RFC 9449 §5).
    return this.#found(stored);
  }

  /** The user and refresh token the entry holds, if it can be read and is ours; nothing is logged. */
  async peek(): Promise<{ readonly sub: string; readonly refreshToken: string } | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.#enqueueVault(() => this.#vault.read());
    } catch {
      return undefined;
    }
    const decoded = raw === undefined ? undefined : decodeStoredSession(raw, this.#identity);
    if (!decoded?.ok) return undefined;
    return { sub: decoded.session.sub, refreshToken: decoded.session.refreshToken };
  }

  /** `stored` with its DPoP key, or `undefined` when the entry must not be used. */
  async #found(stored: StoredSession): Promise<FoundSession | undefined> {
    const dpopKey = await this.#storedKey(stored);
    if (dpopKey === null) return undefined;
    return { sub: stored.sub, refreshToken: stored.refreshToken, dpopKey, binding: stored.binding };
  }

  /**
   * The DPoP key of a stored entry, imported and checked against its
   * thumbprint ({@link DPoPKey.restore}); `undefined` for a Bearer entry;
   * `null` (logged) for an entry that must not be used: a key that does not
   * match, or a binding the configured mode refuses. Never a fallback to Bearer.
   */
  async #storedKey(stored: StoredSession): Promise<DPoPKey | undefined | null> {
    const refusal = modeRefusal(stored, this.#dpopMode);
    if (refusal !== undefined) {
      this.#logger.warn(`Ignoring the stored session: ${refusal}. Sign in again.`);
      return null;
    }
    if (stored.dpop === undefined) return undefined;
    try {
      return await DPoPKey.restore(stored.dpop);
    } catch (err) {
      this.#logger.warn(
        `Ignoring the stored session (dpop-key-invalid): ${err instanceof Error ? err.message : String(err)}. Sign in again.`,
      );
      return null;
    }
  }

  /**
   * Takes up a session found by {@link SessionEntry.read} or {@link SessionEntry.readNewer}: its
   * binding value is the one in the entry now, and is handed on to the binding.
   */
  adopt(found: FoundSession): void {
    this.#storedBinding = found.binding;
    this.#binding?.restored(found.binding);
  }

  /**
   * Stores the refresh token if `stillWanted` holds when the write gets its
   * turn; resolves with whether the vault holds it now. A vault failure keeps
   * the session in memory. `sameToken`: only the binding changes, so a failed
   * write leaves the (still valid) entry alone.
   */
  async store(
    session: { readonly sub: string; readonly refreshToken: string; readonly dpopKey: DPoPKey | undefined },
    stillWanted: StillWanted,
    options: { sameToken?: boolean } = {},
  ): Promise<boolean> {
    let stored = false;
    await this.#enqueueVault(async () => {
      if (!stillWanted()) return;
      const binding = this.#binding?.current;
      // The key rests with the refresh token bound to it (RFC 9449 §5), in the same write.
      const entry = {
        ...this.#identity,
        sub: session.sub,
        refreshToken: session.refreshToken,
        binding,
        dpop: session.dpopKey?.stored,
      };
      try {
        await this.#vault.write(encodeStoredSession(entry));
        this.#storedBinding = binding;
        stored = true;
      } catch (err) {
        await this.#storeFailed(err, options.sameToken === true);
      }
    });
    return stored;
  }

  /** After a failed write: the session lasts in memory, and an entry it outdated is cleared. */
  async #storeFailed(err: unknown, sameToken: boolean): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    if (sameToken) {
      this.#logger.info(
        `Could not update the session in the ${this.#vault.kind} vault; the entry there stays as it was, with the same refresh token (${reason}).`,
      );
      return;
    }
    this.#logger.error(
      `Could not store the session in the ${this.#vault.kind} vault; it lasts until the app quits (${reason}).`,
    );
    // The vault may still hold an older refresh token, already rotated out: presenting it at
    // the next launch is a reuse the provider answers by revoking the grant (RFC 9700 §4.14.2).
    try {
      await this.#vault.clear();
    } catch (clearErr) {
      this.#logger.error(
        `Could not clear the outdated session from the ${this.#vault.kind} vault either (${clearErr instanceof Error ? clearErr.message : String(clearErr)}).`,
      );
    }
  }

  /** Clears the entry, in its turn after the writes and clears asked for before; a failure is logged. */
  async clear(): Promise<void> {
    await this.#enqueueVault(async () => {
      try {
        await this.#vault.clear();
      } catch (err) {
        this.#logger.error(
          `Could not clear the ${this.#vault.kind} vault (${err instanceof Error ? err.message : String(err)}).`,
        );
      }
    });
  }
}
