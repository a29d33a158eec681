import * as client from 'openid-client';
import type { AuthConfig, DPoPMode } from '../config.ts';
import { DPoPKey } from '../dpop/key.ts';
import { dpopAlgorithm, isDPoPTokenType } from '../dpop/policy.ts';
import { AuthError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { toAuthError } from '../provider-errors.ts';
import type { Profile } from '../profile.ts';
import type { IdTokenClaims, TokenGrant } from '../session/token-session.ts';
import { stepUpParameters } from '../step-up.ts';
import type { StepUpRequirement } from '../step-up.ts';
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
  /** A step-up sign-in (RFC 9470): what to request, and the user it must be for. */
  stepUp?: StepUpSignIn | undefined;
  /**
   * A sign-in meant for another account than those signed in: the provider
   * is asked to show its account choice or login page ({@link anotherAccountPrompt}).
   */
  anotherAccount?: boolean | undefined;
}

/** A sign-in again, for the user signed in, with what the API asked for (RFC 9470 §3). */
export interface StepUpSignIn {
  readonly requirement: StepUpRequirement;
  /** The signed-in user's `sub`: an ID token for anyone else is refused before the session changes. */
  readonly subject: string;
}

const SUCCESS_PAGE: ResultPage = {
  ok: true,
  title: 'You are signed in',
  message: 'You can close this tab and return to the app.',
};

function failurePage(err: AuthError): ResultPage {
  return { ok: false, title: 'Sign-in did not complete', message: `${err.message} You can close this tab.` };
}

/** The session's DPoP key and the mode it was made under, for the grants that use it. */
export interface GrantProof {
  readonly key: DPoPKey;
  readonly mode: DPoPMode;
}

/**
 * Converts openid-client's token response to the session's grant. With a
 * proof, the answer's `token_type` says whether the access token is bound
 * (RFC 9449 §5; see {@link isDPoPTokenType} for a `Bearer` answer).
 */
export function toTokenGrant(
  response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  issuer: string,
  proof?: GrantProof,
): TokenGrant {
  const claims = response.claims();
  return {
    accessToken: response.access_token,
    expiresInSeconds: response.expiresIn(),
    refreshToken: response.refresh_token,
    idToken: response.id_token,
    claims: claims === undefined ? undefined : (claims as unknown as IdTokenClaims),
    dpopKey: proof?.key,
    dpopBound: proof !== undefined && isDPoPTokenType(response.token_type, proof.mode, issuer),
  };
}

/** The RFC 8707 `resource` parameter, when the config sends it. */
export function resourceParameters(config: AuthConfig): Record<string, string> {
  return config.sendResourceIndicator ? { resource: config.apiAudience } : {};
}

/** The one-time values of one authorization request. */
interface RequestChecks {
  readonly codeVerifier: string;
  readonly codeChallenge: string;
  readonly state: string;
  readonly nonce: string;
}

async function newRequestChecks(): Promise<RequestChecks> {
  const codeVerifier = client.randomPKCECodeVerifier();
  return {
    codeVerifier,
    codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
    state: client.randomState(),
    nonce: client.randomNonce(),
  };
}

/** The new session's DPoP key (RFC 9449), when the mode and the provider call for one. */
async function newSessionProof(
  config: AuthConfig,
  provider: client.Configuration,
): Promise<GrantProof | undefined> {
  const alg = dpopAlgorithm(config.dpop, provider.serverMetadata());
  return alg === undefined ? undefined : { key: await DPoPKey.generate(alg), mode: config.dpop };
}

/**
 * The URL the browser is opened on. Where the provider takes pushed
 * authorization requests (RFC 9126 §5 metadata), the request is pushed and
 * the URL carries only `client_id` and `request_uri` (RFC 9126 §4): no
 * `state`, PKCE challenge, `nonce` or redirect URI on a launcher's command
 * line, and a URL short enough for every launcher. A failed push is an error,
 * never a fall back to the long URL. The DPoP proof on the push binds the
 * code to the key (RFC 9449 §10.1); without PAR, `dpop_jkt` does (§10).
 */
async function authorizationUrl(
  provider: client.Configuration,
  parameters: Record<string, string>,
  proof: GrantProof | undefined,
): Promise<URL> {
  const metadata = provider.serverMetadata();
  if (
    metadata.pushed_authorization_request_endpoint !== undefined ||
    metadata.require_pushed_authorization_requests === true
  ) {
    return client.buildAuthorizationUrlWithPAR(
      provider,
      parameters,
      proof === undefined ? undefined : { DPoP: proof.key.handle(provider) },
    );
  }
  return client.buildAuthorizationUrl(
    provider,
    proof === undefined ? parameters : { ...parameters, dpop_jkt: proof.key.thumbprint },
  );
}

/**
 * The `prompt` that keeps a sign-in for another account from silently
 * returning the account the browser is signed in to at the provider (OIDC
 * Core §3.1.2.1): `select_account` where discovery lists it in
 * `prompt_values_supported`, else `login`.
 */
export function anotherAccountPrompt(metadata: client.ServerMetadata): 'select_account' | 'login' {
  const supported = metadata.prompt_values_supported;
  return Array.isArray(supported) && supported.includes('select_account') ? 'select_account' : 'login';
}

/** The authorization request's parameters: every check, always (RFC 9700 §2.1). */
function requestParameters(
  config: AuthConfig,
  redirectUri: string,
  checks: RequestChecks,
  extra: { stepUp?: StepUpSignIn | undefined; prompt?: string | undefined },
): Record<string, string> {
  // OIDC Core §11 asks for prompt=consent with offline_access unless the provider has other
  // grounds; providers that insist get it through authorizationParams.prompt.
  return {
    ...withAddedParameters(config.authorizationParams, extra),
    redirect_uri: redirectUri,
    scope: config.scopes.join(' '),
    response_type: 'code',
    code_challenge: checks.codeChallenge,
    code_challenge_method: 'S256',
    state: checks.state,
    nonce: checks.nonce,
    ...resourceParameters(config),
  };
}

/**
 * The configured extra parameters with a step-up's `acr_values`, `max_age`
 * (OIDC Core §3.1.2.1) or `prompt=login`, and an added `prompt`, on top; a
 * configured `prompt` is kept beside them (OIDC Core: space-separated values).
 */
function withAddedParameters(
  configured: Readonly<Record<string, string>>,
  extra: { stepUp?: StepUpSignIn | undefined; prompt?: string | undefined },
): Record<string, string> {
  const added: Record<string, string> =
    extra.stepUp === undefined ? {} : stepUpParameters(extra.stepUp.requirement);
  const prompts = new Set(
    [configured.prompt, added.prompt, extra.prompt].flatMap((p) => p?.split(' ') ?? []),
  );
  prompts.delete('');
  const merged = { ...configured, ...added };
  if (prompts.size > 0) merged.prompt = [...prompts].join(' ');
  return merged;
}

/** An abort signal for the sign-in: the caller's, or the sign-in timeout. */
function signInSignal(
  config: AuthConfig,
  caller: AbortSignal | undefined,
): { signal: AbortSignal; stop: () => void } {
  const timeout = new AbortController();
  const timer = setTimeout(() => {
    timeout.abort(
      new AuthError(
        'ERR_SIGN_IN_TIMEOUT',
        `The sign-in was not completed within ${Math.round(config.signInTimeoutMs / 1000)} seconds, so it was stopped. Start it again when you are ready.`,
      ),
    );
  }, config.signInTimeoutMs);
  const signal = caller === undefined ? timeout.signal : AbortSignal.any([caller, timeout.signal]);
  return { signal, stop: () => clearTimeout(timer) };
}

/** Exchanges the code the browser brought back (RFC 6749 §4.1.3) and answers the browser's tab. */
async function exchangeCode(
  ctx: SignInContext,
  request: LoopbackRequest,
  checks: RequestChecks,
  proof: GrantProof | undefined,
  signal: AbortSignal,
): Promise<TokenGrant> {
  const { config, provider, logger } = ctx;
  let grant: TokenGrant;
  try {
    const response = await client.authorizationCodeGrant(
      provider,
      withRegisteredErrorOnly(request.url, logger),
      {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        // OIDC Core §3.1.2.1: with max_age requested, auth_time must be there and recent enough.
        ...(ctx.stepUp?.requirement.maxAge === undefined ? {} : { maxAge: ctx.stepUp.requirement.maxAge }),
      },
      resourceParameters(config),
      proof === undefined ? undefined : { DPoP: proof.key.handle(provider) },
    );
    grant = toTokenGrant(response, provider.serverMetadata().issuer, proof);
    if (ctx.stepUp !== undefined) assertSameUser(grant, ctx.stepUp.subject);
    signal.throwIfAborted();
  } catch (err) {
    const authError = signal.aborted ? reasonToError(signal.reason) : toAuthError(err, 'sign-in');
    request.respond(failurePage(authError));
    throw authError;
  }
  request.respond(SUCCESS_PAGE);
  return grant;
}

/** A step-up sign-in must be the signed-in user's: another user's tokens never replace theirs. */
function assertSameUser(grant: TokenGrant, subject: string): void {
  if (grant.claims?.sub === subject) return;
  throw new AuthError(
    'ERR_SUBJECT_CHANGED',
    'You signed in as a different user than the one using the app, so that sign-in was not used. Sign in again as the same user, or sign out first.',
  );
}

/**
 * Runs one interactive sign-in (RFC 8252 native app flow): a loopback
 * listener, the system browser, the authorization code with PKCE S256
 * (RFC 7636), `state` (RFC 6749 §10.12) and `nonce` (OIDC Core §3.1.2.1), the
 * request pushed where the provider takes it (RFC 9126), the RFC 9207 `iss`
 * check, the code exchange with a new DPoP key's proof where DPoP is used
 * (RFC 9449 §5), and the ID token verified, its signature included, before
 * anything is returned.
 *
 * The listener closes on success, error, cancel and timeout.
 */
export async function performSignIn(ctx: SignInContext): Promise<TokenGrant> {
  const { config, provider, logger } = ctx;
  const { signal, stop } = signInSignal(config, ctx.signal);
  let listener: LoopbackListener | undefined;
  try {
    signal.throwIfAborted();
    const proof = await newSessionProof(config, provider);
    const checks = await newRequestChecks();
    listener = await startLoopbackListener({
      port: config.redirectPort,
      path: config.callbackPath,
      expectedState: checks.state,
      signal,
      logger,
    });
    // A cancel that came while the listener was starting must not push the request or open the browser.
    signal.throwIfAborted();
    const url = await authorizationUrl(
      provider,
      requestParameters(config, listener.redirectUri, checks, {
        stepUp: ctx.stepUp,
        prompt: ctx.anotherAccount === true ? anotherAccountPrompt(provider.serverMetadata()) : undefined,
      }),
      proof,
    );
    signal.throwIfAborted();
    logger.info(`Opening the browser to sign in at ${provider.serverMetadata().issuer}.`);
    const request = await waitWhileOpening(listener, ctx.openBrowser, url.href);
    return await exchangeCode(ctx, request, checks, proof, signal);
  } catch (err) {
    throw err instanceof AuthError
      ? err
      : signal.aborted
        ? reasonToError(signal.reason)
        : toAuthError(err, 'sign-in');
  } finally {
    stop();
    await listener?.close();
  }
}

/** What {@link signInInteractively} works on. */
export interface InteractiveSignInParts extends Omit<SignInContext, 'provider' | 'signal'> {
  /** The provider's openid-client configuration (`ProviderConnection.get`). */
  provider: () => Promise<client.Configuration>;
  /** Where the new session goes (the accounts, see `AccountSet`). */
  session: {
    beginSignIn(): void;
    establish(grant: TokenGrant): Promise<void>;
    endSignInWithoutSession(): void;
  };
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
