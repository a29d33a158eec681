import * as client from 'openid-client';
import { createApiFetch } from './api-client.ts';
import type { ApiFetch } from './api-client.ts';
import { defineConfig } from './config.ts';
import type { AuthConfig, AuthConfigInput } from './config.ts';
import { buildEndSessionUrl, endSessionInBrowser } from './end-session.ts';
import { AuthError, isAuthError } from './errors.ts';
import { consoleLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { isProfileIncomplete, sanitizeProfile } from './profile.ts';
import type { Profile } from './profile.ts';
import { ProviderConnection, toAuthError } from './provider.ts';
import type { FetchLike } from './provider.ts';
import type { ProviderCacheStore } from './provider-cache.ts';
import { performSignIn, resourceParameters, toTokenGrant } from './sign-in/sign-in.ts';
import { TokenSession } from './session/token-session.ts';
import type { SessionState, TokenGrant } from './session/token-session.ts';
import type { RetrySchedule } from './session/retry-schedule.ts';
import { openSystemBrowser } from './system-browser.ts';
import type { BrowserOpener } from './system-browser.ts';
import { keychainAccount } from './vault/keyring-vault.ts';
import { deferredVault, openVault } from './vault/open-vault.ts';
import type { Vault } from './vault/vault.ts';

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

/** The outcome of {@link DesktopAuth.signOut}. */
export interface SignOutResult {
  /** Whether the provider confirmed the refresh token's revocation (RFC 7009). */
  readonly revoked: boolean;
  /**
   * The provider's end-session URL to open in the browser (RP-Initiated
   * Logout), or `undefined` when the provider has none or was unreachable.
   * It carries `post_logout_redirect_uri` only with a fixed `redirectPort`;
   * pass `endProviderSession: true` to have the library open it and serve the
   * loopback page itself.
   */
  readonly endSessionUrl: string | undefined;
  /** With `endProviderSession`: whether the browser came back from the provider's page. */
  readonly providerSessionEnded?: boolean;
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
  /** When the access token in memory expires (for display and diagnostics). */
  readonly accessTokenExpiresAt: Date | undefined;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: SessionState) => void): () => void;
  /** Signs in silently with the stored refresh token, if any; resolves with the resulting state. */
  restore(): Promise<SessionState>;
  /**
   * Signs in in the system browser. A call while one is pending joins it
   * (same promise). Rejects with an {@link AuthError}.
   */
  signIn(options?: { signal?: AbortSignal }): Promise<Profile>;
  /** Cancels a pending sign-in (it rejects with `ERR_SIGN_IN_CANCELLED`). */
  cancelSignIn(): void;
  /** A valid access token, refreshed ahead of expiry. For the main process only; never hand it to a renderer. */
  getAccessToken(): Promise<string>;
  /** Calls the configured API with the access token (see `createApiFetch`). */
  fetchApi: ApiFetch;
  /** The signed-in user's sanitized profile, or `undefined` when signed out. */
  getProfile(): Promise<Profile | undefined>;
  /**
   * Signs out: revokes the refresh token where the provider can (failure does
   * not stop the local sign-out), clears vault and memory, and returns the
   * end-session URL. With `endProviderSession`, also opens it in the browser
   * and serves the post-logout page for up to `timeoutMs` (default 2 min).
   */
  signOut(options?: { endProviderSession?: boolean; timeoutMs?: number }): Promise<SignOutResult>;
  /** Stops timers and pending work (cancels a pending sign-in). The session stays in the vault. */
  close(): void;
}

/** After a transient userinfo failure, the profile is not completed again for this long. */
export const USERINFO_RETRY_MS = 30_000;

function isAuthConfig(value: AuthConfig | AuthConfigInput): value is AuthConfig {
  return (value as AuthConfig).issuer instanceof URL && typeof (value as AuthConfig).apiOrigin === 'string';
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
  const vault =
    options.vault ??
    deferredVault(openVault({ account: keychainAccount(config.issuer.href, config.clientId), logger }));
  const provider = new ProviderConnection(config, {
    fetch: options.fetch,
    cache: options.providerCache,
    now: options.now,
    logger,
  });

  const refresh = async (refreshToken: string): Promise<TokenGrant> => {
    try {
      // RFC 8707 §2.2: the resource is repeated so the new access token is for the API.
      return toTokenGrant(await provider.refresh(refreshToken, resourceParameters(config)));
    } catch (err) {
      throw toAuthError(err, 'refresh');
    }
  };

  const session = new TokenSession({
    vault,
    identity: { issuer: config.issuer.href, clientId: config.clientId },
    refresh,
    logger,
    refreshAheadMs: config.refreshAheadSeconds * 1000,
    now: options.now,
    retrySchedule: options.retrySchedule,
    providerCache: provider,
  });

  let pendingSignIn: Promise<Profile> | undefined;
  let signInController: AbortController | undefined;
  // What userinfo answered for this session; after a failure `claims` is empty, and a
  // transient failure (network, 5xx, offline) carries when to ask again.
  let userinfo: { generation: number; claims: Record<string, unknown>; retryAt?: number } | undefined;
  const now = options.now ?? Date.now;

  const getProfile = async (): Promise<Profile | undefined> => {
    const sub = session.subject;
    if (sub === undefined) return undefined;
    const claims = session.claims ?? { sub };
    let profile = sanitizeProfile(
      claims,
      userinfo?.generation === session.generation ? userinfo.claims : undefined,
    );
    if (!isProfileIncomplete(profile)) return profile;
    if (userinfo?.generation === session.generation && (userinfo.retryAt ?? Infinity) > now()) return profile;
    const generation = session.generation;
    try {
      const p = await provider.get();
      if (p.serverMetadata().userinfo_endpoint === undefined) return profile;
      const token = await session.getAccessToken();
      // OIDC Core §5.3.2: openid-client checks the userinfo `sub` equals ours.
      const info = await client.fetchUserInfo(p, token, sub);
      if (generation === session.generation) {
        userinfo = { generation, claims: info as unknown as Record<string, unknown> };
        profile = sanitizeProfile(claims, userinfo.claims);
      }
    } catch (err) {
      if (generation === session.generation) {
        // "The provider said no" holds for the session; "the network failed" only for a while,
        // or a provider whose profile lives in userinfo alone would leave it incomplete until sign-out.
        const transient = isAuthError(
          toAuthError(err, 'userinfo'),
          'ERR_PROVIDER_UNREACHABLE',
          'ERR_OFFLINE',
        );
        userinfo = { generation, claims: {}, ...(transient ? { retryAt: now() + USERINFO_RETRY_MS } : {}) };
      }
      logger.info(
        `The profile could not be completed from the userinfo endpoint: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return profile;
  };

  const signIn = (signInOptions: { signal?: AbortSignal } = {}): Promise<Profile> => {
    if (pendingSignIn !== undefined) return pendingSignIn;
    const controller = new AbortController();
    signInController = controller;
    const signal =
      signInOptions.signal === undefined
        ? controller.signal
        : AbortSignal.any([controller.signal, signInOptions.signal]);
    session.beginSignIn();
    const run = async (): Promise<Profile> => {
      try {
        const p = await provider.get();
        const grant = await performSignIn({ config, provider: p, openBrowser, logger, signal });
        await session.establish(grant);
        const profile = await getProfile();
        if (profile === undefined)
          throw new AuthError('ERR_NOT_SIGNED_IN', 'The sign-in ended before it completed.');
        return profile;
      } catch (err) {
        session.endSignInWithoutSession();
        throw err;
      } finally {
        pendingSignIn = undefined;
        signInController = undefined;
      }
    };
    pendingSignIn = run();
    return pendingSignIn;
  };

  const cancelSignIn = (): void => {
    signInController?.abort(new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.'));
  };

  const getAccessToken = (): Promise<string> => session.getAccessToken();

  const fetchApi = createApiFetch({
    config,
    getAccessToken: (o) => session.getAccessToken(o),
    fetch: options.fetch,
  });

  const signOut = async (signOutOptions: { endProviderSession?: boolean; timeoutMs?: number } = {}) => {
    cancelSignIn();
    const ended = await session.end();
    userinfo = undefined;
    let revoked = false;
    let endSessionUrl: URL | undefined;
    let p: client.Configuration | undefined;
    try {
      p = await provider.get();
    } catch (err) {
      logger.warn(
        `Signed out on this device, but the provider could not be reached to end the session there: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (p !== undefined && ended?.refreshToken !== undefined) {
      if (p.serverMetadata().revocation_endpoint !== undefined) {
        try {
          // RFC 7009 §2.1: token_type_hint helps the provider find the token.
          await client.tokenRevocation(p, ended.refreshToken, { token_type_hint: 'refresh_token' });
          revoked = true;
        } catch (err) {
          logger.warn(
            `Signed out on this device, but the provider did not confirm revoking the session: ${toAuthError(err, 'revocation').message}`,
          );
        }
      }
    }
    if (p !== undefined) {
      endSessionUrl = buildEndSessionUrl(p, config, {
        idToken: ended?.idToken,
        postLogoutPort: config.redirectPort,
      });
    }
    let providerSessionEnded: boolean | undefined;
    if (signOutOptions.endProviderSession === true && endSessionUrl !== undefined) {
      providerSessionEnded = await endSessionInBrowser({
        endSessionUrl,
        config,
        openBrowser,
        logger,
        timeoutMs: signOutOptions.timeoutMs ?? 120_000,
      });
    }
    return {
      revoked,
      endSessionUrl: endSessionUrl?.href,
      ...(providerSessionEnded === undefined ? {} : { providerSessionEnded }),
    };
  };

  return {
    config,
    get state() {
      return session.state;
    },
    get accessTokenExpiresAt() {
      return session.accessTokenExpiresAt;
    },
    onStateChange: (listener) => session.onStateChange(listener),
    restore: () => session.restore(),
    signIn,
    cancelSignIn,
    getAccessToken,
    fetchApi,
    getProfile,
    signOut,
    close: () => {
      cancelSignIn();
      session.dispose();
    },
  };
}
