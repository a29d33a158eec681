import type { DPoPKey } from '../dpop/key.ts';
import { AuthError, isAuthError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';
import { DEFAULT_RETRY_SCHEDULE, retryDelay } from './retry-schedule.ts';
import type { RetrySchedule } from './retry-schedule.ts';
import { SessionEntry } from './session-entry.ts';
import type { SessionEntryOptions } from './session-entry.ts';

export type { VaultEntryBinding } from './session-entry.ts';

/** Where the user stands, as the UI shows it. */
export type SessionState = 'signed-out' | 'signing-in' | 'signed-in' | 'offline';

/** Verified ID token claims (OIDC Core §2); `sub` is always there. */
export interface IdTokenClaims {
  readonly sub: string;
  readonly [claim: string]: unknown;
}

/** Tokens from a grant, after openid-client has verified them. */
export interface TokenGrant {
  readonly accessToken: string;
  /** `expires_in` (RFC 6749 §5.1), when the provider sent it. */
  readonly expiresInSeconds?: number | undefined;
  readonly refreshToken?: string | undefined;
  readonly idToken?: string | undefined;
  readonly claims?: IdTokenClaims | undefined;
  /** The DPoP key the grant's request was made with (RFC 9449); the refresh token is bound to it. */
  readonly dpopKey?: DPoPKey | undefined;
  /** Whether the access token is DPoP-bound (`token_type` `DPoP`, RFC 9449 §5). */
  readonly dpopBound?: boolean | undefined;
}

/**
 * Performs one refresh grant, with a proof of `dpopKey` when the session has
 * one (RFC 9449 §5); rejects with an {@link AuthError} (see `toAuthError`).
 */
export type RefreshGrant = (refreshToken: string, dpopKey: DPoPKey | undefined) => Promise<TokenGrant>;

/** An access token and, when it is DPoP-bound, the key whose proofs must go with it (RFC 9449 §7). */
export interface AccessCredential {
  readonly accessToken: string;
  readonly dpopKey: DPoPKey | undefined;
}

/** What {@link TokenSession} needs: its vault entry's options, and those of the token lifetime. */
export interface TokenSessionOptions extends SessionEntryOptions {
  refresh: RefreshGrant;
  /** Refresh this long before the access token expires. */
  refreshAheadMs: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Delays between background attempts while offline. */
  retrySchedule?: RetrySchedule | undefined;
  /**
   * Called when the session ends (signed out, or ended by the provider),
   * before its `signed-out` is published, with the clearing of its vault
   * entry under way: whoever keeps the session (the accounts) may let
   * another take over first, and wait for `cleared` before it writes.
   */
  onEnded?: ((cleared: Promise<void>) => Promise<void> | void) | undefined;
}

interface Current {
  readonly sub: string;
  readonly refreshToken: string | undefined;
  readonly accessToken: string | undefined;
  readonly accessTokenExpiresAt: number | undefined;
  readonly idToken: string | undefined;
  readonly claims: IdTokenClaims | undefined;
  /** Whether the vault holds this session's refresh token (see {@link TokenSession.sessionPersisted}). */
  readonly persisted: boolean;
  /** The session's DPoP key, to which its refresh token is bound; `undefined` for a Bearer session. */
  readonly dpopKey: DPoPKey | undefined;
  /** Whether the access token in hand is DPoP-bound. */
  readonly accessTokenBound: boolean;
}

/** What a sign-out needs from the session that ended. */
export interface EndedSession {
  readonly sub: string;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
}

const notSignedIn = (): AuthError =>
  new AuthError('ERR_NOT_SIGNED_IN', 'You are not signed in. Sign in first.');

/** The access token of `session` and its key when bound; not signed in without an access token. */
function credentialOf(session: Current): AccessCredential {
  if (session.accessToken === undefined) throw notSignedIn();
  return {
    accessToken: session.accessToken,
    dpopKey: session.accessTokenBound ? session.dpopKey : undefined,
  };
}

/** The refresh token of a session that has one (checked before a refresh begins). */
function tokenOf(session: Current): string {
  if (session.refreshToken === undefined) throw notSignedIn();
  return session.refreshToken;
}

/**
 * The token session of one user (DESIGN "Token session"): access and ID
 * tokens in memory only, the refresh token in the vault, refresh ahead of
 * expiry with one request however many callers wait, the rotated refresh
 * token stored before the new access token is handed out, offline kept apart
 * from "the provider said no".
 */
export class TokenSession {
  readonly #vault: Vault;
  readonly #entry: SessionEntry;
  readonly #refreshGrant: RefreshGrant;
  readonly #logger: Logger;
  readonly #refreshAheadMs: number;
  readonly #now: () => number;
  readonly #retrySchedule: RetrySchedule;
  readonly #onEnded: ((cleared: Promise<void>) => Promise<void> | void) | undefined;
  /** The restore under way, joined by any other call meanwhile. */
  #restoring: Promise<SessionState> | undefined;
  readonly #listeners = new Set<(state: SessionState) => void>();

  #state: SessionState = 'signed-out';
  #current: Current | undefined;
  /** Bumped whenever the session is replaced or ended; stale work checks it and drops its result. */
  #generation = 0;
  /** The one refresh in flight, and the generation it works for; another generation never joins it. */
  #inflight: { readonly generation: number; readonly promise: Promise<Current> } | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryAttempt = 0;

  constructor(options: TokenSessionOptions) {
    this.#vault = options.vault;
    this.#entry = new SessionEntry(options);
    this.#refreshGrant = options.refresh;
    this.#logger = options.logger;
    this.#refreshAheadMs = options.refreshAheadMs;
    this.#now = options.now ?? Date.now;
    this.#retrySchedule = options.retrySchedule ?? DEFAULT_RETRY_SCHEDULE;
    this.#onEnded = options.onEnded;
  }

  /** The current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** When the access token in memory expires, if known. */
  get accessTokenExpiresAt(): Date | undefined {
    const at = this.#current?.accessTokenExpiresAt;
    return at === undefined ? undefined : new Date(at);
  }

  /** The verified claims of the latest ID token, if any. */
  get claims(): IdTokenClaims | undefined {
    return this.#current?.claims;
  }

  /** The signed-in user's `sub`, if any. */
  get subject(): string | undefined {
    return this.#current?.sub;
  }

  /** The latest raw ID token (for `id_token_hint` only). */
  get idToken(): string | undefined {
    return this.#current?.idToken;
  }

  /**
   * Whether the session as it stands now is kept in the vault (false: memory
   * only, e.g. the keychain refused the write, or no refresh token was
   * issued). `undefined` while signed out.
   */
  get sessionPersisted(): boolean | undefined {
    const current = this.#current;
    return current === undefined ? undefined : current.persisted && this.#vault.persistent;
  }

  /** A number that changes whenever the session is replaced or ended. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether work begun for `generation` is still for the session now: none replaced or ended it since. */
  #isCurrent(generation: number): boolean {
    return generation === this.#generation;
  }

  /**
   * The outcome of `work`, begun for the session of `generation`, if that
   * session is still the current one; otherwise its result (or failure) is
   * dropped and the caller gets `ERR_NOT_SIGNED_IN`.
   */
  async #forCurrent<T>(generation: number, work: Promise<T>): Promise<T> {
    const outcome = await work.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    if (!this.#isCurrent(generation)) throw notSignedIn();
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#listeners]) {
      try {
        listener(state);
      } catch (err) {
        this.#logger.error(
          `A session state listener threw: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  /**
   * Installs the session a sign-in produced: the refresh token is stored
   * first, then the tokens become available and the state is `signed-in`.
   */
  async establish(grant: TokenGrant): Promise<void> {
    const sub = grant.claims?.sub;
    if (sub === undefined) {
      throw new AuthError(
        'ERR_ID_TOKEN_INVALID',
        'The sign-in returned no identity token. Please sign in again.',
      );
    }
    const generation = ++this.#generation;
    // A refresh of the replaced session must not be joined by this session's callers.
    this.#inflight = undefined;
    this.#stopRetrying();
    let persisted = false;
    if (grant.refreshToken !== undefined) {
      persisted = await this.#entry.store(
        { sub, refreshToken: grant.refreshToken, dpopKey: grant.dpopKey },
        () => this.#isCurrent(generation),
      );
    } else {
      // No refresh token (offline_access not granted): a stale entry must not outlive this session.
      this.#logger.warn('The provider issued no refresh token; the session will end when the app quits.');
      await this.#entry.clear();
    }
    if (!this.#isCurrent(generation)) return;
    this.#current = {
      sub,
      refreshToken: grant.refreshToken,
      accessToken: grant.accessToken,
      accessTokenExpiresAt: this.#expiresAt(grant),
      idToken: grant.idToken,
      claims: grant.claims,
      persisted,
      dpopKey: grant.dpopKey,
      accessTokenBound: grant.dpopBound === true,
    };
    this.#setState('signed-in');
  }

  #expiresAt(grant: TokenGrant): number | undefined {
    return grant.expiresInSeconds === undefined ? undefined : this.#now() + grant.expiresInSeconds * 1000;
  }

  /**
   * Signs in silently from the vault: one refresh grant with the stored
   * refresh token. Resolves with the resulting state; never throws for a
   * missing, corrupt or foreign entry, an ended session or being offline.
   * A call while one is under way joins it, so the stored refresh token is
   * never presented twice.
   */
  restore(): Promise<SessionState> {
    this.#restoring ??= this.#restoreStored().finally(() => {
      this.#restoring = undefined;
    });
    return this.#restoring;
  }

  async #restoreStored(): Promise<SessionState> {
    if (this.#current !== undefined) return this.#state;
    const found = await this.#entry.read(() => this.#current === undefined);
    if (found === undefined || this.#current !== undefined) return this.#state;
    this.#entry.adopt(found);
    this.#generation++;
    this.#current = {
      sub: found.sub,
      refreshToken: found.refreshToken,
      accessToken: undefined,
      accessTokenExpiresAt: undefined,
      idToken: undefined,
      claims: undefined,
      persisted: true,
      dpopKey: found.dpopKey,
      accessTokenBound: false,
    };
    this.#setState('signing-in');
    try {
      await this.#refresh();
    } catch (err) {
      if (isAuthError(err, 'ERR_OFFLINE')) {
        this.#logger.info(
          'The provider is unreachable; the stored session is kept and retried in the background.',
        );
      } else if (this.#current !== undefined && this.#state === 'signing-in') {
        // An unexpected refusal: forget the session in memory, keep the entry for a later launch.
        this.#logger.error(
          `Could not restore the stored session: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.#generation++;
        this.#current = undefined;
        this.#setState('signed-out');
      }
    }
    return this.#state;
  }

  #needsRefresh(current: Current): boolean {
    if (current.accessToken === undefined) return true;
    if (current.accessTokenExpiresAt === undefined) return false;
    return this.#now() >= current.accessTokenExpiresAt - this.#refreshAheadMs;
  }

  #isExpired(current: Current): boolean {
    return current.accessTokenExpiresAt !== undefined && this.#now() >= current.accessTokenExpiresAt;
  }

  /**
   * A valid access token, refreshed ahead of expiry. `rejected` names a token
   * the API refused (RFC 6750 §3.1 `invalid_token`): it is refreshed only if
   * it is still the current one, so many callers retrying after one 401 cause
   * one refresh.
   */
  async getAccessToken(options: { rejected?: string } = {}): Promise<string> {
    return (await this.getAccessCredential(options)).accessToken;
  }

  /**
   * As {@link getAccessToken}, with the DPoP key whose proofs must go with
   * the token when it is DPoP-bound (RFC 9449 §7.1), from the same session.
   */
  async getAccessCredential(options: { rejected?: string } = {}): Promise<AccessCredential> {
    const current = this.#current;
    if (current === undefined) throw notSignedIn();
    const rejected = options.rejected !== undefined && options.rejected === current.accessToken;
    if (current.accessToken !== undefined && !rejected && !this.#needsRefresh(current))
      return credentialOf(current);
    try {
      return credentialOf(await this.#refresh());
    } catch (err) {
      // Offline inside the refresh-ahead margin: the token in hand is still good.
      if (
        isAuthError(err, 'ERR_OFFLINE') &&
        !rejected &&
        current.accessToken !== undefined &&
        this.#current === current &&
        !this.#isExpired(current)
      ) {
        return credentialOf(current);
      }
      throw err;
    }
  }

  /** Single-flight: every caller during a refresh shares its one request. */
  #refresh(): Promise<Current> {
    const existing = this.#inflight;
    if (existing !== undefined && this.#isCurrent(existing.generation)) return existing.promise;
    const entry = {
      generation: this.#generation,
      promise: this.#doRefresh().finally(() => {
        // Only our own entry: a newer refresh in flight must stay the one callers join,
        // or its refresh token would be sent twice at once.
        if (this.#inflight === entry) this.#inflight = undefined;
      }),
    };
    this.#inflight = entry;
    return entry.promise;
  }

  async #doRefresh(): Promise<Current> {
    const generation = this.#generation;
    const current = this.#current;
    if (current === undefined) throw notSignedIn();
    if (current.refreshToken === undefined) {
      throw new AuthError('ERR_SESSION_EXPIRED', 'Your session has expired. Please sign in again.');
    }
    const vault = this.#vault;
    // A vault without `exclusive` has this process alone; one with it may be shared, and then
    // the processes on the entry refresh one at a time, each first taking up the others' work.
    if (vault.exclusive === undefined) return this.#refreshLatest(generation, current, false);
    return vault.exclusive(() => this.#refreshLatest(generation, current, true));
  }

  /**
   * One refresh, with the newest refresh token of this user's entry when it
   * is `shared`: another process sharing it may have rotated ours out, and
   * presenting a rotated-out token is a reuse the provider answers by revoking
   * the grant (RFC 9700 §4.14.2). A refusal (`invalid_grant`) is retried once
   * if the entry holds yet another token by then (a process that refreshed
   * without the lock).
   */
  async #refreshLatest(generation: number, current: Current, shared: boolean): Promise<Current> {
    let base = (shared ? await this.#newerStored(generation, current) : undefined) ?? current;
    // Replaced or ended while waiting for the entry: its refresh token is not to be sent.
    if (!this.#isCurrent(generation)) throw notSignedIn();
    let grant: TokenGrant;
    try {
      grant = await this.#forCurrent(generation, this.#refreshGrant(tokenOf(base), base.dpopKey));
    } catch (err) {
      const newer = isAuthError(err, 'ERR_SESSION_EXPIRED')
        ? await this.#newerStored(generation, base)
        : undefined;
      if (newer === undefined) return this.#refreshFailed(err);
      base = newer;
      grant = await this.#forCurrent(generation, this.#refreshGrant(tokenOf(base), base.dpopKey)).catch(
        (retryErr: unknown) => this.#refreshFailed(retryErr),
      );
    }
    // OIDC Core §12.2: a refreshed ID token must name the same user.
    if (grant.claims !== undefined && grant.claims.sub !== base.sub) {
      this.#logger.error('The refreshed identity token names another user; signing out.');
      await this.#endLocally();
      throw new AuthError(
        'ERR_SUBJECT_CHANGED',
        'The sign-in provider answered for a different user than the one signed in, so you were signed out. Please sign in again.',
      );
    }
    const next = await this.#forCurrent(
      generation,
      this.#storeRefreshed(generation, base, tokenOf(base), grant),
    );
    this.#current = next;
    this.#stopRetrying();
    this.#setState('signed-in');
    return next;
  }

  /**
   * `than` with the newer refresh token another process stored ({@link SessionEntry.readNewer}), if
   * `generation` is still current. Only the refresh token is stored, so the caller still refreshes.
   */
  async #newerStored(generation: number, than: Current): Promise<Current | undefined> {
    const found = await this.#entry.readNewer(than, () => this.#isCurrent(generation));
    if (found === undefined || !this.#isCurrent(generation)) return undefined;
    this.#logger.info('Another process renewed the session; continuing with the refresh token it stored.');
    this.#entry.adopt(found);
    return { ...than, refreshToken: found.refreshToken, persisted: true, dpopKey: found.dpopKey };
  }

  /** A failed refresh grant of the current session: offline, or ended by the provider. Always throws. */
  async #refreshFailed(err: unknown): Promise<never> {
    if (isAuthError(err, 'ERR_PROVIDER_UNREACHABLE')) {
      this.#goOffline();
      throw new AuthError(
        'ERR_OFFLINE',
        'The sign-in provider cannot be reached, so the session cannot be renewed right now. You stay signed in; the app retries automatically.',
        { cause: err },
      );
    }
    if (isAuthError(err, 'ERR_SESSION_EXPIRED')) {
      // RFC 6749 §5.2 invalid_grant: the refresh token is dead; sign out cleanly.
      this.#logger.info('The provider ended the session (invalid_grant); signing out.');
      await this.#endLocally();
    } else if (isAuthError(err, 'ERR_DPOP_UNSUPPORTED')) {
      // `required` and an unbound answer: its rotated refresh token was not kept, so the one in
      // hand is spent; ending now spares the provider a reuse (RFC 9700 §4.14.2).
      this.#logger.error(`${err.message} Signing out.`);
      await this.#endLocally();
    }
    throw err;
  }

  /** The session a refresh produced, its refresh token stored first where the vault's entry changes. */
  async #storeRefreshed(
    generation: number,
    current: Current,
    presented: string,
    grant: TokenGrant,
  ): Promise<Current> {
    // Keep the old refresh token when the provider does not rotate (RFC 6749 §6).
    const refreshToken = grant.refreshToken ?? presented;
    const stored = { sub: current.sub, refreshToken, dpopKey: current.dpopKey };
    const stillCurrent = () => this.#isCurrent(generation);
    let persisted = current.persisted;
    if (refreshToken !== presented) {
      // Stored BEFORE anyone gets the new access token: a crash now must not leave the vault
      // with a rotated-out token whose reuse would revoke the grant (RFC 9700 §4.14.2).
      persisted = await this.#entry.store(stored, stillCurrent);
    } else if (this.#entry.bindingChanged) {
      // Only the binding's value changed: stored with the same refresh token, for the next launch to read.
      persisted = (await this.#entry.store(stored, stillCurrent, { sameToken: true })) || persisted;
    }
    return {
      sub: current.sub,
      refreshToken,
      accessToken: grant.accessToken,
      accessTokenExpiresAt: this.#expiresAt(grant),
      idToken: grant.idToken ?? current.idToken,
      claims: grant.claims ?? current.claims,
      persisted,
      dpopKey: current.dpopKey,
      accessTokenBound: grant.dpopBound === true,
    };
  }

  #goOffline(): void {
    this.#setState('offline');
    if (this.#retryTimer !== undefined) return;
    const delay = retryDelay(this.#retrySchedule, this.#retryAttempt++);
    const generation = this.#generation;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#isCurrent(generation)) return;
      this.#refresh().catch((err: unknown) => {
        if (!isAuthError(err, 'ERR_OFFLINE', 'ERR_NOT_SIGNED_IN')) {
          this.#logger.warn(
            `Background session renewal failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      });
    }, delay);
    // A pending retry must not keep a CLI process alive.
    this.#retryTimer.unref();
  }

  #stopRetrying(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#retryAttempt = 0;
  }

  async #endLocally(): Promise<EndedSession | undefined> {
    const ended = this.#current;
    this.#generation++;
    this.#current = undefined;
    this.#inflight = undefined;
    this.#stopRetrying();
    const cleared = this.#entry.clear();
    const told = this.#onEnded?.(cleared);
    this.#setState('signed-out');
    await cleared;
    await told;
    return ended === undefined
      ? undefined
      : { sub: ended.sub, refreshToken: ended.refreshToken, idToken: ended.idToken };
  }

  /**
   * Ends the session locally: memory and vault cleared, state `signed-out`.
   * Returns what revocation and RP-initiated logout need: for a session never
   * restored in this process (another account than the active one), the
   * stored refresh token, so that signing out revokes it too (RFC 7009)
   * rather than leaving it valid at the provider with no one holding it.
   */
  async end(): Promise<EndedSession | undefined> {
    const stored = this.#current === undefined ? await this.#entry.peek() : undefined;
    return (await this.#endLocally()) ?? (stored && { ...stored, idToken: undefined });
  }

  /** Stops background work (the retry timer). The session itself stays as it is. */
  dispose(): void {
    this.#stopRetrying();
  }
}
