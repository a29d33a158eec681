import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import { buildEndSessionUrl, endSessionInBrowser } from './end-session.ts';
import type { Logger } from './logger.ts';
import { toAuthError } from './provider-errors.ts';
import type { AccountSet } from './accounts/account-set.ts';
import type { TokenSession } from './session/token-session.ts';
import type { BrowserOpener } from './system-browser.ts';

/** The outcome of {@link signOut}. */
export interface SignOutResult {
  /** Whether the provider confirmed the refresh token's revocation (RFC 7009). */
  readonly revoked: boolean;
  /**
   * The provider's end-session URL (RP-Initiated Logout 1.0 §2), for an app
   * that opens it itself, or `undefined` when the provider has none or was
   * unreachable. It carries `client_id`, and `post_logout_redirect_uri` only
   * with a fixed `redirectPort`; never the ID token (`id_token_hint`), so
   * the provider asks the user to confirm. Pass `endProviderSession: true`
   * to have the library post the hint from a loopback page instead.
   */
  readonly endSessionUrl: string | undefined;
  /** With `endProviderSession`: whether the browser came back from the provider's page. */
  readonly providerSessionEnded?: boolean;
}

/** The options of {@link signOut} a caller chooses. */
export interface SignOutOptions {
  /**
   * Also end the provider's session in the browser: it is opened on a
   * one-shot loopback page that posts the logout form (with the ID token as
   * `id_token_hint`) to the provider, and the post-logout redirect comes back
   * to the loopback listener.
   */
  endProviderSession?: boolean;
  /** How long the post-logout page is served (default 2 min). */
  timeoutMs?: number;
  /** The account to sign out of (an id, email or subject; see `listAccounts`). Default: the active one. */
  account?: string;
  /** Signs out of every account (the provider's session is ended once, with the active account's). */
  all?: boolean;
}

/** What {@link signOut} works on. */
export interface SignOutParts {
  config: AuthConfig;
  session: Pick<TokenSession, 'end'>;
  /** The provider's openid-client configuration (`ProviderConnection.get`). */
  provider: () => Promise<client.Configuration>;
  openBrowser: BrowserOpener;
  logger: Logger;
}

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** RFC 7009: revokes the refresh token where the provider has a revocation endpoint; whether it confirmed. */
async function revokeRefreshToken(
  provider: client.Configuration,
  refreshToken: string,
  logger: Logger,
): Promise<boolean> {
  if (provider.serverMetadata().revocation_endpoint === undefined) return false;
  try {
    // RFC 7009 §2.1: token_type_hint helps the provider find the token.
    await client.tokenRevocation(provider, refreshToken, { token_type_hint: 'refresh_token' });
    return true;
  } catch (err) {
    logger.warn(
      `Signed out on this device, but the provider did not confirm revoking the session: ${toAuthError(err, 'revocation').message}`,
    );
    return false;
  }
}

/**
 * Signs out (DESIGN "Token session"): the session ends locally first (vault
 * and memory cleared, whatever the provider does next), then the refresh
 * token is revoked where the provider can (RFC 7009), and the provider's
 * session is ended by RP-Initiated Logout: the URL is returned, and with
 * `endProviderSession` opened in the browser. Never rejects for the
 * provider's sake: an unreachable provider is logged.
 */
export async function signOut(parts: SignOutParts, options: SignOutOptions = {}): Promise<SignOutResult> {
  const { config, logger } = parts;
  const ended = await parts.session.end();
  let provider: client.Configuration;
  try {
    provider = await parts.provider();
  } catch (err) {
    logger.warn(
      `Signed out on this device, but the provider could not be reached to end the session there: ${reasonOf(err)}`,
    );
    return { revoked: false, endSessionUrl: undefined };
  }
  const revoked =
    ended?.refreshToken !== undefined && (await revokeRefreshToken(provider, ended.refreshToken, logger));
  const endSessionUrl = buildEndSessionUrl(provider, config, { postLogoutPort: config.redirectPort });
  const endpoint = provider.serverMetadata().end_session_endpoint;
  if (options.endProviderSession !== true || endSessionUrl === undefined || endpoint === undefined) {
    return { revoked, endSessionUrl: endSessionUrl?.href };
  }
  const providerSessionEnded = await endSessionInBrowser({
    endpoint: new URL(endpoint),
    idToken: ended?.idToken,
    config,
    openBrowser: parts.openBrowser,
    logger,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  return { revoked, endSessionUrl: endSessionUrl.href, providerSessionEnded };
}

/** What {@link signOutAccounts} works on. */
export interface AccountsSignOutParts extends Omit<SignOutParts, 'session'> {
  accounts: Pick<AccountSet, 'load' | 'find' | 'ids' | 'end' | 'active'>;
}

/**
 * Signs out of one account (`options.account`, else the active one) or of
 * all ({@link signOut} each); the others stay signed in. Rejects with
 * `ERR_UNKNOWN_ACCOUNT` for an account that is not signed in.
 */
export async function signOutAccounts(
  parts: AccountsSignOutParts,
  options: SignOutOptions = {},
): Promise<SignOutResult> {
  const { accounts } = parts;
  await accounts.load();
  const chosen = options.account === undefined ? accounts.active : accounts.find(options.account);
  const ids = options.all === true ? accounts.ids() : [chosen?.record.id];
  let result: SignOutResult = { revoked: false, endSessionUrl: undefined };
  let revoked = true;
  for (const [i, id] of (ids.length === 0 ? [undefined] : ids).entries()) {
    const last = i === Math.max(ids.length - 1, 0);
    // The provider's browser session is ended once, at the end: the active account's (listed last).
    result = await signOut(
      {
        ...parts,
        session: { end: () => (id === undefined ? Promise.resolve(undefined) : accounts.end(id)) },
      },
      last ? options : { ...options, endProviderSession: false },
    );
    revoked &&= result.revoked;
  }
  return { ...result, revoked };
}
