import * as client from 'openid-client';
import type { AuthConfig } from './config.ts';
import { AuthError } from './errors.ts';
import type { FetchLike } from './provider.ts';
import type { AccessCredential } from './session/token-session.ts';

/** What {@link createApiFetch} needs. */
export interface ApiFetchOptions {
  config: AuthConfig;
  /**
   * A valid access token, with its DPoP key when it is DPoP-bound; `rejected`
   * names a token the API refused, to be replaced.
   */
  getAccessCredential: (options?: { rejected?: string }) => Promise<AccessCredential>;
  fetch?: FetchLike | undefined;
}

/** Calls the configured API with the user's access token. */
export type ApiFetch = (pathOrUrl: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Whether a response is `invalid_token`: the token (not the request) was
 * refused, in a `Bearer` (RFC 6750 §3.1) or `DPoP` (RFC 9449 §7.1) challenge.
 */
export function isInvalidTokenChallenge(response: Response): boolean {
  if (response.status !== 401) return false;
  const header = response.headers.get('www-authenticate') ?? '';
  return /(^|,)\s*(Bearer|DPoP)\b/i.test(header) && /\berror\s*=\s*"?invalid_token"?/i.test(header);
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

/**
 * Creates `fetchApi`: resolves paths against the configured API base URL,
 * attaches the access token only when the target's origin is the configured
 * API origin (`Authorization: Bearer`, RFC 6750 §2.1, or `DPoP` with a proof,
 * RFC 9449 §7.1, for a DPoP-bound token), and on a 401 `invalid_token`
 * refreshes and retries once. A request for any other origin is refused
 * before a token is even fetched. Redirects are not followed, so the token
 * cannot be carried elsewhere by one.
 */
export function createApiFetch(options: ApiFetchOptions): ApiFetch {
  const { config } = options;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  return async (pathOrUrl, init = {}) => {
    const url = apiUrl(config, pathOrUrl);
    const send = async (credential: AccessCredential): Promise<Response> => {
      const { dpopKey } = credential;
      if (dpopKey !== undefined) return sendWithProof(doFetch, config, url, init, { ...credential, dpopKey });
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${credential.accessToken}`);
      return doFetch(url.href, { ...init, headers, redirect: 'manual' });
    };
    const credential = await options.getAccessCredential();
    const response = await send(credential);
    // A streamed body cannot be sent twice.
    const replayable = !(init.body instanceof ReadableStream);
    if (!isInvalidTokenChallenge(response) || !replayable) return response;
    await response.body?.cancel();
    return send(await options.getAccessCredential({ rejected: credential.accessToken }));
  };
}
