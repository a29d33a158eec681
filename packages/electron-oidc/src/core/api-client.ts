import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import { AuthError } from './errors.ts';
import type { FetchLike } from './provider.ts';
import type { AccessCredential } from './session/token-session.ts';
import { stepUpRequired, stepUpRequirement } from './step-up.ts';
import type { StepUpMode, StepUpRequirement } from './step-up.ts';
import { tokenChallenges } from './www-authenticate.ts';

/** What {@link createApiFetch} needs. */
export interface ApiFetchOptions {
  config: AuthConfig;
  /**
   * A valid access token, with its DPoP key when it is DPoP-bound; `rejected`
   * names a token the API refused, to be replaced.
   */
  getAccessCredential: (options?: { rejected?: string }) => Promise<AccessCredential>;
  fetch?: FetchLike | undefined;
  /**
   * Signs in again in the system browser with what the API asked for (RFC
   * 9470), for the same user; used when a request allows it (`stepUp: 'auto'`).
   */
  stepUp?:
    ((requirement: StepUpRequirement, signal: AbortSignal | undefined) => Promise<unknown>) | undefined;
}

/** A request to the API: `fetch`'s options, and what to do when the API asks for a stronger sign-in. */
export interface ApiRequestInit extends RequestInit {
  /**
   * On a 401 `insufficient_user_authentication` (RFC 9470 §3): `'reject'`
   * (the default) rejects with an `AuthError` `ERR_STEP_UP_REQUIRED` whose
   * `stepUp` says what to request, so the app can ask the user first; `'auto'`
   * signs in again in the system browser with it and retries the request once.
   */
  stepUp?: StepUpMode;
}

/** Calls the configured API with the user's access token. */
export type ApiFetch = (pathOrUrl: string | URL, init?: ApiRequestInit) => Promise<Response>;

/**
 * Whether a response is `invalid_token`: the token (not the request) was
 * refused, in a `Bearer` (RFC 6750 §3.1) or `DPoP` (RFC 9449 §7.1) challenge.
 */
export function isInvalidTokenChallenge(response: Response): boolean {
  if (response.status !== 401) return false;
  return tokenChallenges(response.headers.get('www-authenticate')).some(
    (challenge) => challenge.params.error === 'invalid_token',
  );
}

/** The API URL a path or URL names, refused unless it is on the configured API origin. */
function apiUrl(config: AuthConfig, pathOrUrl: string | URL): URL {
  let url: URL;
  try {
    url = new URL(pathOrUrl, config.apiBaseUrl);
  } catch (cause) {
    throw new AuthError('ERR_API_ORIGIN_REFUSED', `"${String(pathOrUrl)}" is not a valid API path or URL.`, {
      cause,
    });
  }
  if (url.origin !== config.apiOrigin) {
    throw new AuthError(
      'ERR_API_ORIGIN_REFUSED',
      `Refusing to send the access token to ${url.origin}: only ${config.apiOrigin} (the configured API) receives it.`,
    );
  }
  if (url.username || url.password) {
    throw new AuthError('ERR_API_ORIGIN_REFUSED', 'API URLs must not contain credentials.');
  }
  return url;
}

/**
 * One request with a DPoP-bound token: `Authorization: DPoP <token>` and a
 * fresh proof with `htm`, `htu`, `iat`, `jti` and `ath` (RFC 9449 §4.2, §7.1),
 * made by openid-client with the session's one handle, which sends the
 * origin's latest `DPoP-Nonce` and retries a `use_dpop_nonce` answer once
 * with the new one (RFC 9449 §9). Redirects are not followed.
 */
async function sendWithProof(
  doFetch: FetchLike,
  config: AuthConfig,
  url: URL,
  init: RequestInit,
  credential: AccessCredential & { dpopKey: NonNullable<AccessCredential['dpopKey']> },
): Promise<Response> {
  // The issuer only names the configuration: this one is for the API's requests alone.
  const c = new client.Configuration({ issuer: config.issuer.href }, config.clientId);
  // Plain http only for a loopback API (the config refuses others).
  if (url.protocol === 'http:') client.allowInsecureRequests(c);
  c.timeout = 0;
  const signal = init.signal ?? undefined;
  c[client.customFetch] = (u, i) => doFetch(u, { ...(i as RequestInit), redirect: 'manual', signal });
  const headers = new Headers(init.headers);
  headers.delete('authorization');
  headers.delete('dpop');
  try {
    return await client.fetchProtectedResource(
      c,
      credential.accessToken,
      url,
      init.method ?? 'GET',
      init.body as client.FetchBody,
      headers,
      { DPoP: credential.dpopKey.handle(c) },
    );
  } catch (err) {
    // openid-client throws on any WWW-Authenticate challenge; the answer is the caller's to read.
    if (err instanceof client.WWWAuthenticateChallengeError) return err.response;
    throw err;
  }
}

/** Sends one request with the session's token, with a new token once if the API refused the token (RFC 6750 §3.1). */
function createTokenSender(options: ApiFetchOptions) {
  const { config } = options;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const send = async (url: URL, init: RequestInit, credential: AccessCredential): Promise<Response> => {
    const { dpopKey } = credential;
    if (dpopKey !== undefined) return sendWithProof(doFetch, config, url, init, { ...credential, dpopKey });
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${credential.accessToken}`);
    return doFetch(url.href, { ...init, headers, redirect: 'manual' });
  };
  return async (url: URL, init: RequestInit, replayable: boolean): Promise<Response> => {
    const credential = await options.getAccessCredential();
    const response = await send(url, init, credential);
    if (!isInvalidTokenChallenge(response) || !replayable) return response;
    await response.body?.cancel();
    return send(url, init, await options.getAccessCredential({ rejected: credential.accessToken }));
  };
}

/**
 * Creates `fetchApi`: resolves paths against the configured API base URL,
 * attaches the access token only when the target's origin is the configured
 * API origin (`Authorization: Bearer`, RFC 6750 §2.1, or `DPoP` with a proof,
 * RFC 9449 §7.1, for a DPoP-bound token), and on a 401 `invalid_token`
 * refreshes and retries once. A request for any other origin is refused
 * before a token is even fetched. Redirects are not followed, so the token
 * cannot be carried elsewhere by one.
 *
 * A 401 `insufficient_user_authentication` (RFC 9470 §3) never opens the
 * browser unasked: it rejects with `ERR_STEP_UP_REQUIRED`, unless the request
 * says `stepUp: 'auto'`; then the user signs in again with what the API named
 * and the request is retried once.
 */
export function createApiFetch(options: ApiFetchOptions): ApiFetch {
  const sendWithToken = createTokenSender(options);
  return async (pathOrUrl, init = {}) => {
    const url = apiUrl(options.config, pathOrUrl);
    const { stepUp: mode = 'reject', ...request } = init;
    // A streamed body cannot be sent twice.
    const replayable = !(request.body instanceof ReadableStream);
    const response = await sendWithToken(url, request, replayable);
    const requirement = stepUpRequirement(response);
    if (requirement === undefined) return response;
    await response.body?.cancel();
    if (mode !== 'auto' || !replayable || options.stepUp === undefined) throw stepUpRequired(requirement);
    await options.stepUp(requirement, request.signal ?? undefined);
    const retried = await sendWithToken(url, request, replayable);
    const still = stepUpRequirement(retried);
    if (still === undefined) return retried;
    // Once only: a provider that cannot give what the API wants must not loop the user through the browser.
    await retried.body?.cancel();
    throw stepUpRequired(still);
  };
}
