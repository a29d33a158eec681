import type { AccountsMode } from '../config.ts';
import { AuthError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Profile } from '../profile.ts';
import type { EndedSession, SessionState, TokenGrant, TokenSession } from '../session/token-session.ts';
import type { Vault } from '../vault/vault.ts';
import { accountId } from './account-index.ts';
import type { AccountIndex, AccountRecord } from './account-index.ts';
import type { AccountStore } from './account-store.ts';

/** One account as the app may show it: never a token. */
export interface AccountSummary {
  /** Stable for the account (issuer and subject); pass it to `useAccount` and `signOut`. */
  readonly id: string;
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  /** An http(s) URL of the user's picture; fetch it in the main process, never in the renderer. */
  readonly picture?: string | undefined;
  /** Whether API calls and the profile are this account's. */
  readonly active: boolean;
  /**
   * The account's own session state: `signed-out` when it is listed but its
   * stored session could not be used, so it must be signed in again;
   * `signed-in` also for an account whose stored session is not renewed yet
   * in this process (only the active account is restored at launch;
   * `useAccount` renews another one silently).
   */
  readonly state: SessionState;
}

/** What {@link AccountSet} needs. */
export interface AccountSetOptions {
  store: AccountStore;
  issuer: string;
  mode: AccountsMode;
  /** A token session on `entry` that calls `onEnded` when it ends (see `TokenSessionOptions.onEnded`). */
  openSession(entry: Vault, onEnded: (cleared: Promise<void>) => Promise<void>): TokenSession;
  /** `getProfile` of one session (see `createProfileReader`). */
  profileReader(session: TokenSession): () => Promise<Profile | undefined>;
  logger: Logger;
}

/** One signed-in account: its record in the index, its session, its profile. */
export interface Account {
  record: AccountRecord;
  /** Whether this process has signed the account in, or tried to (restored, renewed or established). */
  tried: boolean;
  readonly session: TokenSession;
  readonly getProfile: () => Promise<Profile | undefined>;
  readonly unsubscribe: () => void;
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** `index` with `record` in it (added last, or in its place) and `active`. */
function withAccount(index: AccountIndex, record: AccountRecord, active: string | undefined): AccountIndex {
  const found = index.accounts.some((r) => r.id === record.id);
  const accounts = found
    ? index.accounts.map((r) => (r.id === record.id ? record : r))
    : [...index.accounts, record];
  return { accounts, active };
}

function withoutAccount(index: AccountIndex, id: string, active: string | undefined): AccountIndex {
  return { accounts: index.accounts.filter((r) => r.id !== id), active };
}

/** What is worth showing of `profile` before its session is renewed; `undefined` when nothing changed. */
function updatedRecord(record: AccountRecord, profile: Profile): AccountRecord | undefined {
  const next = { ...record, name: profile.name, email: profile.email, picture: profile.picture };
  const same = next.name === record.name && next.email === record.email && next.picture === record.picture;
  return same ? undefined : next;
}

/**
 * The signed-in accounts of one issuer and client, each its own
 * {@link TokenSession} with its own vault entry, refreshes and offline state,
 * and the active one: what API calls and the profile use. One account's
 * session ending (sign-out, `invalid_grant`) removes that account only.
 */
export class AccountSet {
  readonly #options: AccountSetOptions;
  readonly #accounts = new Map<string, Account>();
  #active: string | undefined;
  #signingIn = false;
  /** Whether the active account ended during an interactive sign-in and another took over, not yet renewed. */
  #handedOver = false;
  /** Accounts being signed in silently from their entries (see {@link #renew}). */
  readonly #renewing = new Set<Account>();
  #loading: Promise<void> | undefined;
  #lastState: SessionState = 'signed-out';
  readonly #stateListeners = new Set<(state: SessionState) => void>();
  readonly #accountListeners = new Set<() => void>();

  constructor(options: AccountSetOptions) {
    this.#options = options;
  }

  /** `signing-in` during an interactive sign-in, else the active account's state (`signed-out` without one). */
  get state(): SessionState {
    if (this.#signingIn) return 'signing-in';
    const active = this.active;
    if (active === undefined) return 'signed-out';
    return this.#stateOf(active);
  }

  /** The active account, if any. */
  get active(): Account | undefined {
    return this.#active === undefined ? undefined : this.#accounts.get(this.#active);
  }

  /** The number of accounts listed. */
  get size(): number {
    return this.#accounts.size;
  }

  onStateChange(listener: (state: SessionState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Calls `listener` whenever the list, an account's state or the active account changes. */
  onAccountsChange(listener: () => void): () => void {
    this.#accountListeners.add(listener);
    return () => this.#accountListeners.delete(listener);
  }

  #changed(): void {
    for (const listener of [...this.#accountListeners]) this.#call(listener);
    const state = this.state;
    if (state === this.#lastState) return;
    this.#lastState = state;
    for (const listener of [...this.#stateListeners]) this.#call(() => listener(state));
  }

  #call(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.#options.logger.error(`An account listener threw: ${reasonOf(err)}`);
    }
  }

  /** Reads the stored accounts once (again after a failure); {@link restore} does it too. */
  load(): Promise<void> {
    this.#loading ??= this.#options.store.load().then(
      (index) => {
        for (const record of index.accounts) if (!this.#accounts.has(record.id)) this.#add(record);
        this.#active ??= index.active ?? index.accounts[0]?.id;
        this.#changed();
      },
      (err: unknown) => {
        this.#loading = undefined;
        this.#options.logger.warn(
          `Could not read the stored accounts, so no stored session is restored (${reasonOf(err)}).`,
        );
      },
    );
    return this.#loading;
  }

  #add(record: AccountRecord): Account {
    const session = this.#options.openSession(this.#options.store.entry(record.id), (cleared) =>
      this.#ended(record.id, cleared),
    );
    const account: Account = {
      record,
      tried: false,
      session,
      getProfile: this.#options.profileReader(session),
      unsubscribe: session.onStateChange(() => this.#changed()),
    };
    this.#accounts.set(record.id, account);
    return account;
  }

  /**
   * Loads the accounts and signs the active one in silently; resolves with
   * the resulting state. With `account`: that one instead, for this process
   * only, and the state is that account's own, so a caller never acts as
   * another account without knowing (`signed-out` when its session could not
   * be used; the next account may have become the active one meanwhile).
   */
  async restore(options: { account?: string } = {}): Promise<SessionState> {
    await this.load();
    if (options.account === undefined) {
      await this.#restoreActive();
      return this.state;
    }
    const account = this.find(options.account);
    this.#active = account.record.id;
    this.#changed();
    await this.#renew(account);
    return account.session.state;
  }

  /**
   * Signs the active account in silently. When the provider ends its session
   * meanwhile (`invalid_grant`), the next account becomes active: it is
   * restored in turn, so the caller gets a settled state, not `signing-in`.
   */
  async #restoreActive(): Promise<void> {
    let account = this.active;
    while (account !== undefined) {
      await this.#renew(account);
      const next = this.active;
      if (next === account) return;
      account = next;
    }
  }

  /** An account's state: its session's, `signing-in` while it is being renewed from its entry. */
  #stateOf(account: Account): SessionState {
    const state = account.session.state;
    return state === 'signed-out' && this.#renewing.has(account) ? 'signing-in' : state;
  }

  /**
   * The accounts, in the order they were first signed in. An account not yet
   * renewed in this process (not the active one, after a launch) is
   * `signed-in`: its session is stored, and only a renewal can say otherwise.
   */
  list(): AccountSummary[] {
    return [...this.#accounts.values()].map((account) => ({
      id: account.record.id,
      name: account.record.name,
      email: account.record.email,
      picture: account.record.picture,
      active: account.record.id === this.#active,
      state: account.tried ? this.#stateOf(account) : 'signed-in',
    }));
  }

  /** The account whose id, email (any case) or subject is `query`; `ERR_UNKNOWN_ACCOUNT` for none or several. */
  find(query: string): Account {
    const all = [...this.#accounts.values()];
    const byId = all.find((a) => a.record.id === query);
    if (byId !== undefined) return byId;
    const lower = query.toLowerCase();
    const matches = all.filter((a) => a.record.email?.toLowerCase() === lower || a.record.sub === query);
    if (matches.length === 1) return matches[0]!;
    throw new AuthError(
      'ERR_UNKNOWN_ACCOUNT',
      matches.length === 0
        ? `No signed-in account is "${query}". List the accounts to see their ids.`
        : `Several signed-in accounts match "${query}"; name one by its id.`,
    );
  }

  /**
   * Makes `query`'s account the active one ({@link find}), stored for the next
   * launch, and signs it in silently if it is not yet; resolves with that
   * account's state (`signed-out` when the provider ended its session: it is
   * gone from the list then, and the next account is the active one).
   */
  async use(query: string): Promise<SessionState> {
    await this.load();
    const account = this.find(query);
    this.#active = account.record.id;
    this.#changed();
    await this.#saveIndex((index) => ({ ...index, active: account.record.id }));
    await this.#renew(account);
    return account.session.state;
  }

  /** Marks an interactive sign-in as started. */
  beginSignIn(): void {
    this.#signingIn = true;
    this.#changed();
  }

  /**
   * Marks an interactive sign-in as ended without a new session: the state is
   * the active account's now. An account that became active during the
   * sign-in (the one before ended) was left for the sign-in to replace: it is
   * signed in silently now. Accounts the app has not restored stay as they are.
   */
  endSignInWithoutSession(): void {
    this.#signingIn = false;
    const active = this.active;
    if (this.#handedOver && active !== undefined) void this.#renew(active);
    this.#handedOver = false;
    this.#changed();
  }

  /**
   * Installs the session a sign-in produced as its account's (added, or in
   * place of the same account's), and makes it the active one. With one
   * account allowed, the others end here first (locally).
   */
  async establish(grant: TokenGrant): Promise<void> {
    const claims = grant.claims;
    if (claims === undefined) {
      throw new AuthError(
        'ERR_ID_TOKEN_INVALID',
        'The sign-in returned no identity token. Please sign in again.',
      );
    }
    await this.load();
    const id = accountId(this.#options.issuer, claims.sub);
    if (this.#options.mode === 'single' || !this.#options.store.several) await this.#endAllBut(id);
    const account = this.#accounts.get(id) ?? this.#add({ id, sub: claims.sub });
    account.tried = true;
    await account.session.establish(grant);
    this.#active = id;
    this.#signingIn = false;
    this.#handedOver = false;
    this.#changed();
    await this.#saveIndex((index) => withAccount(index, account.record, id));
  }

  async #endAllBut(id: string): Promise<void> {
    for (const account of [...this.#accounts.values()]) {
      if (account.record.id !== id) await account.session.end();
    }
  }

  /** Keeps what `profile` shows of the account for the list before its next renewal. */
  async remember(account: Account, profile: Profile): Promise<void> {
    const next = updatedRecord(account.record, profile);
    if (next === undefined || this.#accounts.get(next.id) !== account) return;
    account.record = next;
    this.#changed();
    await this.#saveIndex((index) => withAccount(index, next, index.active));
  }

  /** Ends `query`'s account (the active one by default) locally; what revocation and logout need. */
  async end(query?: string): Promise<EndedSession | undefined> {
    const account = query === undefined ? this.active : this.find(query);
    return account?.session.end();
  }

  /** The ids of every account, the active one last. */
  ids(): string[] {
    const ids = [...this.#accounts.keys()].filter((id) => id !== this.#active);
    return this.#active !== undefined && this.#accounts.has(this.#active) ? [...ids, this.#active] : ids;
  }

  /**
   * An account's session is ending: it leaves the list at once, and the next
   * one becomes active and is signed in silently (so the state goes from the
   * ended account's straight to the next one's, never through `signed-out`);
   * the index changes once the ended entry is cleared, so it never lists an
   * account whose session is gone while its token is still stored.
   */
  async #ended(id: string, cleared: Promise<void>): Promise<void> {
    const account = this.#accounts.get(id);
    if (account === undefined) return;
    account.unsubscribe();
    this.#accounts.delete(id);
    const wasActive = this.#active === id;
    if (wasActive) this.#active = this.#accounts.keys().next().value;
    // Not while a sign-in is about to install an account of its own: if it does not, it renews this one.
    const next = this.active;
    if (wasActive && next !== undefined) {
      if (this.#signingIn) this.#handedOver = true;
      else void this.#renew(next);
    }
    this.#changed();
    const active = this.#active;
    await cleared;
    // The stored active changes only if it was this account: another may be active
    // here for this process only (restore({ account })).
    await this.#saveIndex((index) => withoutAccount(index, id, index.active === id ? active : index.active));
  }

  /**
   * Signs `account` in silently from its entry; meanwhile it counts as
   * `signing-in` rather than `signed-out`, and from now on its own state is
   * what the list shows (see {@link list}).
   */
  async #renew(account: Account): Promise<void> {
    account.tried = true;
    this.#renewing.add(account);
    this.#changed();
    try {
      await account.session.restore();
    } finally {
      this.#renewing.delete(account);
      this.#changed();
    }
  }

  async #saveIndex(change: (index: AccountIndex) => AccountIndex): Promise<void> {
    try {
      await this.#options.store.update(change);
    } catch (err) {
      this.#options.logger.error(
        `Could not store the list of accounts; the change lasts until the app quits (${reasonOf(err)}).`,
      );
    }
  }

  /** Stops every session's background work. */
  dispose(): void {
    for (const { session } of this.#accounts.values()) session.dispose();
  }
}
