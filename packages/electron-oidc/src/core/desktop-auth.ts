import { AccountSet } from './accounts/account-set.ts';
import type { AccountSummary } from './accounts/account-set.ts';
import { accountStore } from './accounts/account-store.ts';
import { createApiFetch } from './api-client.ts';
import type { ApiFetch } from './api-client.ts';
import { defineConfig } from './config.ts';
import type { AuthConfig, AuthConfigInput } from './config.ts';
import { consoleLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import type { Profile } from './profile.ts';
import { createProfileReader } from './profile-completion.ts';
import { ProviderConnection } from './provider.ts';
import type { FetchLike } from './fetch-like.ts';
import type { ProviderCacheStore } from './provider-cache.ts';
import { AuthError } from './errors.ts';
import { toAuthError } from './provider-errors.ts';
import { oneAtATime } from './sign-in/one-at-a-time.ts';
import { resourceParameters, signInInteractively, toTokenGrant } from './sign-in/sign-in.ts';
import type { InteractiveSignInParts, StepUpSignIn } from './sign-in/sign-in.ts';
import { signOutAccounts } from './sign-out.ts';
import type { SignOutOptions, SignOutResult } from './sign-out.ts';
import { TokenSession } from './session/token-session.ts';
import type { RefreshGrant, SessionState } from './session/token-session.ts';
import type { RetrySchedule } from './session/retry-schedule.ts';
import type { StepUpRequirement } from './step-up.ts';
import { openSystemBrowser } from './system-browser.ts';
import type { BrowserOpener } from './system-browser.ts';
import { keychainAccount } from './vault/keyring-vault.ts';
import { deferredVault, openVault } from './vault/open-vault.ts';
import type { Vault } from './vault/vault.ts';

export type { SignOutOptions, SignOutResult } from './sign-out.ts';
export type { AccountSummary } from './accounts/account-set.ts';

/** Options of {@link createDesktopAuth}. */
export interface DesktopAuthOptions {
  /** A validated config ({@link defineConfig}, {@link loadConfig}) or the input to validate. */
  config?: AuthConfig | AuthConfigInput;
  /**
   * Where the refresh token rests. Default: the OS keychain ({@link openVault}, service
   * `electron-oidc`, one entry per issuer and client), or memory only with a
   * warning where no keychain answers. Pass a vault to choose the service name.
   */
  vault?: Vault;
  /**
   * With the default vault: a folder of the app's own (in Electron,
   * `app.getPath('userData')`) where the session rests encrypted, the keychain
   * holding only its key, so a session of any size fits every keychain (see
   * `openVault`'s `directory`). Without it the whole session rests in the keychain entry.
   */
  vaultDirectory?: string;
  /** Opens URLs in the system browser. Default: `$BROWSER`, else the platform's opener. Electron: `shell.openExternal`. */
  openBrowser?: BrowserOpener;
  /** Default: warnings and errors on the console. Never receives a token. */
  logger?: Logger;
  /** The `fetch` for every outbound request (provider and API): proxies, tests. */
  fetch?: FetchLike;
  /** The clock deciding when to refresh, in ms since the epoch (tests). */
  now?: () => number;
  /** Delays between background renewals while offline (tests shorten it). */
  retrySchedule?: RetrySchedule;
  /**
   * Keeps the provider's discovery document between launches, while its
   * `Cache-Control` allows (at most a day), so that `restore()` makes no
   * discovery request: e.g. `fileProviderCache(path.join(app.getPath('userData'), 'provider.json'))`.
   * The vault entry holds the document's digest, so a rewritten file is
   * ignored. Default: none (every launch discovers).
   */
  providerCache?: ProviderCacheStore;
}

/**
 * Sign-in for a desktop app, runtime-agnostic (plain Node or Electron's main
 * process). Obtain one with {@link createDesktopAuth}.
 */
export interface DesktopAuth {
  /** The validated configuration. */
  readonly config: AuthConfig;
  /** The session state. */
  readonly state: SessionState;
  /**
   * Whether the session as it stands now is kept in the vault (false: memory
   * only, e.g. the keychain refused the write, or no refresh token was
   * issued). `undefined` while signed out.
   */
  readonly sessionPersisted: boolean | undefined;
  /** When the access token in memory expires (for display and diagnostics). */
  readonly accessTokenExpiresAt: Date | undefined;
  /** Subscribes to state changes (of the active account); returns the unsubscribe function. */
  onStateChange(listener: (state: SessionState) => void): () => void;
  /**
   * Reads the stored accounts and signs the active one in silently with its
   * refresh token, if any; resolves with the resulting state. `account` (an
   * id, email or subject): that account instead, for this process only
   * (rejects with `ERR_UNKNOWN_ACCOUNT` when it names none), resolving with
   * that account's own state: `signed-out` if its session could not be used,
   * even when another account then took over as the active one. Only the active
   * account is signed in here; {@link DesktopAuth.useAccount} signs in another.
   */
  restore(options?: { account?: string }): Promise<SessionState>;
  /**
   * Signs in in the system browser, and adds the account (or renews it when
   * it is already there) as the active one; with `accounts: 'single'` it
   * replaces the account signed in. While any account is signed in, the
   * provider is asked to show its account choice or login page
   * (`prompt=select_account`, else `login`), so its browser session is not
   * silently reused. A call while one is pending joins it (same promise).
   * Rejects with an `AuthError`.
   */
  signIn(options?: { signal?: AbortSignal }): Promise<Profile>;
  /** The signed-in accounts, in the order first signed in (after {@link DesktopAuth.restore}); never a token. */
  listAccounts(): AccountSummary[];
  /** Subscribes to changes of {@link DesktopAuth.listAccounts}; returns the unsubscribe function. */
  onAccountsChange(listener: (accounts: AccountSummary[]) => void): () => void;
  /**
   * Makes an account (its id, email or subject) the active one, for API
   * calls and the profile, remembered for the next launch; signs it in
   * silently if it is not yet. Rejects with `ERR_UNKNOWN_ACCOUNT`.
   */
  useAccount(account: string): Promise<SessionState>;
  /** Cancels a pending sign-in (it rejects with `ERR_SIGN_IN_CANCELLED`). */
  cancelSignIn(): void;
  /**
   * Signs the same user in again in the system browser with what the API
   * asked for (RFC 9470: `acr_values`, `max_age`; from an `ERR_STEP_UP_REQUIRED`
   * error's `stepUp`), and replaces the session's tokens. An ID token for
   * another user is refused (`ERR_SUBJECT_CHANGED`) and the session stays as
   * it was. One sign-in at a time: a call while one is pending joins it.
   *
   * @example
   * ```ts
   * try {
   *   return await auth.fetchApi('/private/sensitive');
   * } catch (err) {
   *   if (!isAuthError(err, 'ERR_STEP_UP_REQUIRED') || !(await userAgrees())) throw err;
   *   await auth.stepUp(err.stepUp!);
   *   return auth.fetchApi('/private/sensitive');
   * }
   * ```
   */
  stepUp(requirement: StepUpRequirement, options?: { signal?: AbortSignal }): Promise<Profile>;
  /** A valid access token, refreshed ahead of expiry. For the main process only; never hand it to a renderer. */
  getAccessToken(): Promise<string>;
  /**
   * Calls the configured API with the access token (see `createApiFetch`).
   * When the API asks for a stronger sign-in it rejects with
   * `ERR_STEP_UP_REQUIRED`, or with `{ stepUp: 'auto' }` runs {@link DesktopAuth.stepUp}
   * and retries once.
   */
  fetchApi: ApiFetch;
  /** The signed-in user's sanitized profile, or `undefined` when signed out. */
  getProfile(): Promise<Profile | undefined>;
  /**
   * Signs out of the active account (`account`: that one; `all`: every one):
   * revokes its refresh token where the provider can (failure does not stop
   * the local sign-out), clears its vault entry and memory, and returns the
   * end-session URL. With `endProviderSession`, also opens it in the browser
   * and serves the post-logout page for up to `timeoutMs` (default 2 min).
   * Another account, if any, becomes the active one.
   */
  signOut(options?: SignOutOptions): Promise<SignOutResult>;
  /** Stops timers and pending work (cancels a pending sign-in). The session stays in the vault. */
  close(): void;
}

function isAuthConfig(value: AuthConfig | AuthConfigInput): value is AuthConfig {
  return (value as AuthConfig).issuer instanceof URL && typeof (value as AuthConfig).apiOrigin === 'string';
}

/** The session's refresh grant, through the provider connection, with the session's DPoP key if any. */
function refreshGrant(provider: ProviderConnection, config: AuthConfig): RefreshGrant {
  return async (refreshToken, dpopKey) => {
    try {
      // RFC 8707 §2.2: the resource is repeated so the new access token is for the API.
      const response = await provider.refresh(refreshToken, resourceParameters(config), dpopKey);
      return toTokenGrant(
        response,
        config.issuer.href,
        dpopKey === undefined ? undefined : { key: dpopKey, mode: config.dpop },
      );
    } catch (err) {
      throw toAuthError(err, 'refresh');
    }
  };
}

/** The vault: `options.vault`, else the default one (see {@link DesktopAuthOptions.vault}). */
function vaultFor(config: AuthConfig, options: DesktopAuthOptions, logger: Logger): Vault {
  return (
    options.vault ??
    deferredVault(
      openVault({
        account: keychainAccount(config.issuer.href, config.clientId),
        logger,
        ...(options.vaultDirectory === undefined ? {} : { directory: options.vaultDirectory }),
      }),
    )
  );
}

/** The signed-in accounts, each a session in its own vault entry, refreshed through `provider`. */
function createAccountSet(
  config: AuthConfig,
  provider: ProviderConnection,
  options: DesktopAuthOptions,
  logger: Logger,
): AccountSet {
  const owner = { issuer: config.issuer.href, clientId: config.clientId };
  const now = options.now ?? Date.now;
  return new AccountSet({
    store: accountStore(vaultFor(config, options, logger), owner, logger),
    issuer: owner.issuer,
    mode: config.accounts,
    logger,
    openSession: (vault, onEnded) =>
      new TokenSession({
        vault,
        identity: owner,
        refresh: refreshGrant(provider, config),
        logger,
        refreshAheadMs: config.refreshAheadSeconds * 1000,
        now,
        retrySchedule: options.retrySchedule,
        dpop: config.dpop,
        onEnded,
        // The vault entry vouches for the discovery document the connection keeps.
        binding: {
          restored: (digest) => provider.trust(digest),
          get current() {
            return provider.cacheDigest;
          },
        },
      }),
    profileReader: (session) => createProfileReader({ session, provider: () => provider.get(), logger, now }),
  });
}

/** The interactive sign-ins of one session, one at a time: a plain one, and a step-up (RFC 9470). */
interface InteractiveSignIns {
  signIn(options?: { signal?: AbortSignal }): Promise<Profile>;
  stepUp(requirement: StepUpRequirement, options?: { signal?: AbortSignal }): Promise<Profile>;
  cancel(): void;
}

function interactiveSignIns(
  parts: Omit<InteractiveSignInParts, 'stepUp' | 'anotherAccount'> & { session: AccountSet },
): InteractiveSignIns {
  // What the next sign-in asks for: read once, when the slot starts a sign-in (a call that
  // joins a pending one does not change it).
  let nextStepUp: StepUpSignIn | undefined;
  const run = async (stepUp: StepUpSignIn | undefined, signal: AbortSignal): Promise<Profile> => {
    // The stored accounts count, not only those restored: an app may sign in before restore().
    await parts.session.load();
    // With an account signed in, a plain sign-in is for another one: the provider must ask.
    const anotherAccount = stepUp === undefined && parts.session.size > 0;
    return signInInteractively({ ...parts, stepUp, anotherAccount }, signal);
  };
  const slot = oneAtATime((signal) => {
    const stepUp = nextStepUp;
    nextStepUp = undefined;
    return run(stepUp, signal);
  });
  return {
    signIn: (options) => slot.start(options),
    stepUp(requirement, options = {}) {
      const subject = parts.session.active?.session.subject;
      if (subject === undefined) {
        return Promise.reject(new AuthError('ERR_NOT_SIGNED_IN', 'You are not signed in. Sign in first.'));
      }
      nextStepUp = { requirement, subject };
      try {
        return slot.start(options);
      } finally {
        nextStepUp = undefined;
      }
    },
    cancel: () => slot.cancel(),
  };
}

/**
 * Creates the sign-in library for one app.
 *
 * @example
 * ```ts
 * const auth = createDesktopAuth({ config: { issuer: 'https://login.example.com', clientId: 'my-app', apiAudience: 'https://api.example.com' }, vault: await openVault({ service: 'my-app' }) });
 * await auth.restore();
 * if (auth.state === 'signed-out') await auth.signIn();
 * const res = await auth.fetchApi('/private');
 * ```
 */
export function createDesktopAuth(options: DesktopAuthOptions = {}): DesktopAuth {
  const config =
    options.config !== undefined && isAuthConfig(options.config)
      ? options.config
      : defineConfig(options.config);
  const logger = options.logger ?? consoleLogger;
  const openBrowser = options.openBrowser ?? openSystemBrowser;
  const provider = new ProviderConnection(config, {
    fetch: options.fetch,
    cache: options.providerCache,
    now: options.now,
    logger,
  });
  const accounts = createAccountSet(config, provider, options, logger);
  const getProvider = () => provider.get();
  const getProfile = async (): Promise<Profile | undefined> => {
    const account = accounts.active;
    const profile = await account?.getProfile();
    if (account !== undefined && profile !== undefined) await accounts.remember(account, profile);
    return profile;
  };
  const activeSession = () => {
    const account = accounts.active;
    if (account === undefined)
      throw new AuthError('ERR_NOT_SIGNED_IN', 'You are not signed in. Sign in first.');
    return account.session;
  };
  const signIns = interactiveSignIns({
    config,
    provider: getProvider,
    openBrowser,
    logger,
    session: accounts,
    getProfile,
  });
  const { stepUp } = signIns;

  return {
    config,
    get state() {
      return accounts.state;
    },
    get sessionPersisted() {
      return accounts.active?.session.sessionPersisted;
    },
    get accessTokenExpiresAt() {
      return accounts.active?.session.accessTokenExpiresAt;
    },
    onStateChange: (listener) => accounts.onStateChange(listener),
    restore: (restoreOptions) => accounts.restore(restoreOptions),
    signIn: (signInOptions) => signIns.signIn(signInOptions),
    cancelSignIn: () => signIns.cancel(),
    listAccounts: () => accounts.list(),
    onAccountsChange: (listener) => accounts.onAccountsChange(() => listener(accounts.list())),
    useAccount: (account) => accounts.use(account),
    stepUp,
    getAccessToken: async () => activeSession().getAccessToken(),
    fetchApi: createApiFetch({
      config,
      getAccessCredential: async (o) => activeSession().getAccessCredential(o),
      fetch: options.fetch,
      stepUp: (requirement, signal) => stepUp(requirement, signal === undefined ? {} : { signal }),
    }),
    getProfile,
    signOut: (signOutOptions) => {
      signIns.cancel();
      return signOutAccounts(
        { config, accounts, provider: getProvider, openBrowser, logger },
        signOutOptions,
      );
    },
    close: () => {
      signIns.cancel();
      accounts.dispose();
    },
  };
}
