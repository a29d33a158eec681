import type { AuthConfig } from './config.ts';
import { AuthError } from './errors.ts';
import type { FetchLike } from './provider.ts';

/** What {@link createApiFetch} needs. */
export interface ApiFetchOptions {
  config: AuthConfig;
  /** A valid access token; `rejected` names one the API refused, to be replaced. */
  getAccessToken: (options?: { rejected?: string }) => Promise<string>;
  fetch?: FetchLike | undefined;
}

/** Calls the configured API with the user's access token. */
export type ApiFetch = (pathOrUrl: string | URL, init?: RequestInit) => Promise<Response>;

/** Whether a response is RFC 6750 §3.1 `invalid_token`: the token (not the request) was refused. */
export function isInvalidTokenChallenge(response: Response): boolean {
  if (response.status !== 401) return false;
  const header = response.headers.get('www-authenticate') ?? '';
  return /(^|,)\s*Bearer\b/i.test(header) && /\berror\s*=\s*"?invalid_token"?/i.test(header);
}

/**
 * Creates `fetchApi`: resolves paths against the configured API base URL,
 * attaches `Authorization: Bearer` (RFC 6750 §2.1) only when the target's
 * origin is the configured API origin, and on a 401 `invalid_token` refreshes
 * and retries once. A request for any other origin is refused before a token
 * is even fetched. Redirects are not followed, so the token cannot be carried
 * elsewhere by one.
 */
export function createApiFetch(options: ApiFetchOptions): ApiFetch {
  const { config } = options;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  return async (pathOrUrl, init = {}) => {
    let url: URL;
    try {
      url = new URL(pathOrUrl, config.apiBaseUrl);
    } catch (cause) {
      throw new AuthError(
        'ERR_API_ORIGIN_REFUSED',
        `"${String(pathOrUrl)}" is not a valid API path or URL.`,
        {
          cause,
        },
      );
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
    const send = async (token: string): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return doFetch(url.href, { ...init, headers, redirect: 'manual' });
    };
    const token = await options.getAccessToken();
    const response = await send(token);
    // A streamed body cannot be sent twice.
    const replayable = !(init.body instanceof ReadableStream);
    if (!isInvalidTokenChallenge(response) || !replayable) return response;
    await response.body?.cancel();
    return send(await options.getAccessToken({ rejected: token }));
  };
}
