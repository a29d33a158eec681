import * as client from 'openid-client';
import type { AuthConfig } from '../config.ts';
import { AuthError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { toAuthError } from '../provider-errors.ts';
import type { Profile } from '../profile.ts';
import type { IdTokenClaims, TokenGrant, TokenSession } from '../session/token-session.ts';
import type { BrowserOpener } from '../system-browser.ts';
import { withRegisteredErrorOnly } from './callback-error.ts';
import { startLoopbackListener } from './loopback-listener.ts';
import type { LoopbackListener, LoopbackRequest } from './loopback-listener.ts';
import type { ResultPage } from './result-page.ts';

/** What {@link performSignIn} needs. */
export interface SignInContext {
  config: AuthConfig;
  /** The provider's openid-client configuration (`ProviderConnection.get`). */
  provider: client.Configuration;
  openBrowser: BrowserOpener;
  logger: Logger;
  /** Aborting cancels the sign-in; an {@link AuthError} reason is rethrown as is. */
  signal?: AbortSignal | undefined;
}

const SUCCESS_PAGE: ResultPage = {
  ok: true,
  title: 'You are signed in',
  message: 'You can close this tab and return to the app.',
};

function failurePage(err: AuthError): ResultPage {
  return { ok: false, title: 'Sign-in did not complete', message: `${err.message} You can close this tab.` };
}

/** Converts openid-client's token response to the session's grant. */
export function toTokenGrant(
  response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
): TokenGrant {
  const claims = response.claims();
  return {
    accessToken: response.access_token,
    expiresInSeconds: response.expiresIn(),
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    claims: claims === undefined ? undefined : (claims as unknown as IdTokenClaims),
  };
}

/** The RFC 8707 `resource` parameter, when the config sends it. */
export function resourceParameters(config: AuthConfig): Record<string, string> {
  return config.sendResourceIndicator ? { resource: config.apiAudience } : {};
}

/**
 * Runs one interactive sign-in (RFC 8252 native app flow): a loopback
 * listener, the system browser, the authorization code with PKCE S256
 * (RFC 7636), `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §3.1.2.1), the
 * RFC 9207 `iss` check, the code exchange, and the ID token verified, its
 * signature included, before anything is returned.
 *
 * The listener closes on success, error, cancel and timeout.
 */
export async function performSignIn(ctx: SignInContext): Promise<TokenGrant> {
  const { config, provider, logger } = ctx;
  const timeout = new AbortController();
  const timer = setTimeout(() => {
    timeout.abort(
      new AuthError(
        'ERR_SIGN_IN_TIMEOUT',
        `The sign-in was not completed within ${Math.round(config.signInTimeoutMs / 1000)} seconds, so it was stopped. Start it again when you are ready.`,
      ),
    );
  }, config.signInTimeoutMs);
  const signal = ctx.signal === undefined ? timeout.signal : AbortSignal.any([ctx.signal, timeout.signal]);

  let listener: LoopbackListener | undefined;
  try {
    signal.throwIfAborted();
    const codeVerifier = client.randomPKCECodeVerifier();
    const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
    const state = client.randomState();
    const nonce = client.randomNonce();

    listener = await startLoopbackListener({
      port: config.redirectPort,
      path: config.callbackPath,
      expectedState: state,
      signal,
      logger,
    });
    // A cancel that came while the listener was starting must not open the browser.
    signal.throwIfAborted();

    const parameters: Record<string, string> = {
      ...config.authorizationParams,
      redirect_uri: listener.redirectUri,
      scope: config.scopes.join(' '),
      response_type: 'code',
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      state,
      nonce,
      ...resourceParameters(config),
    };
    // OIDC Core §11 asks for prompt=consent with offline_access unless the provider has other
    // grounds; providers that insist get it through authorizationParams.prompt.
    const authorizationUrl = client.buildAuthorizationUrl(provider, parameters);

    logger.info(`Opening the browser to sign in at ${provider.serverMetadata().issuer}.`);
    const request = await waitWhileOpening(listener, ctx.openBrowser, authorizationUrl.href);
    let grant: TokenGrant;
    try {
      const response = await client.authorizationCodeGrant(
        provider,
        withRegisteredErrorOnly(request.url, logger),
        { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
        resourceParameters(config),
      );
      grant = toTokenGrant(response);
      signal.throwIfAborted();
    } catch (err) {
      const authError = signal.aborted ? reasonToError(signal.reason) : toAuthError(err, 'sign-in');
      request.respond(failurePage(authError));
      throw authError;
    }
    request.respond(SUCCESS_PAGE);
    return grant;
  } catch (err) {
    throw err instanceof AuthError
      ? err
      : signal.aborted
        ? reasonToError(signal.reason)
        : toAuthError(err, 'sign-in');
  } finally {
    clearTimeout(timer);
    await listener?.close();
  }
}

/** What {@link signInInteractively} works on. */
export interface InteractiveSignInParts extends Omit<SignInContext, 'provider' | 'signal'> {
  /** The provider's openid-client configuration (`ProviderConnection.get`). */
  provider: () => Promise<client.Configuration>;
  session: Pick<TokenSession, 'beginSignIn' | 'establish' | 'endSignInWithoutSession'>;
  /** The signed-in user's profile (see `createProfileReader`). */
  getProfile: () => Promise<Profile | undefined>;
}

/**
 * Signs in in the system browser ({@link performSignIn}) and installs the
 * session it produced; resolves with the user's profile. The session's state
 * is `signing-in` from the first moment; a sign-in that fails leaves the
 * session as it is now.
 */
export async function signInInteractively(
  parts: InteractiveSignInParts,
  signal: AbortSignal,
): Promise<Profile> {
  const { session } = parts;
  session.beginSignIn();
  try {
    const grant = await performSignIn({ ...parts, provider: await parts.provider(), signal });
    await session.establish(grant);
    const profile = await parts.getProfile();
    if (profile === undefined)
      throw new AuthError('ERR_NOT_SIGNED_IN', 'The sign-in ended before it completed.');
    return profile;
  } catch (err) {
    session.endSignInWithoutSession();
    throw err;
  }
}

/**
 * Opens the browser and waits for the redirect at the same time: an opener
 * may resolve only once the page has loaded, and the page loads only once the
 * listener answers. A failing opener ends the wait at once.
 */
export async function waitWhileOpening(
  listener: LoopbackListener,
  openBrowser: BrowserOpener,
  url: string,
): Promise<LoopbackRequest> {
  const opening = (async () => {
    try {
      await openBrowser(url);
    } catch (err) {
      throw err instanceof AuthError
        ? err
        : new AuthError(
            'ERR_BROWSER_OPEN_FAILED',
            'Could not open your web browser. Check that a default browser is set, then try again.',
            { cause: err },
          );
    }
    return new Promise<never>(() => {});
  })();
  return Promise.race([listener.nextRequest(), opening]);
}

function reasonToError(reason: unknown): AuthError {
  return reason instanceof AuthError
    ? reason
    : new AuthError('ERR_SIGN_IN_CANCELLED', 'The sign-in was cancelled.', { cause: reason });
}
