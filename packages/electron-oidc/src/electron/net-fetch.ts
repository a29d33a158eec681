/**
 * The library's `fetch` in Electron's main process: Node's `fetch` knows
 * neither the system's proxy settings, PAC files nor the OS certificate
 * store, so on a corporate network the app could not reach the provider
 * while the browser could. Electron's `net.fetch` sends through Chromium's
 * network stack, which knows all three.
 */
import type { Net } from 'electron';
import type { FetchLike } from '../core/fetch-like.ts';

/** The part of Electron's `net` module the adapter uses (`net.fetch` exists from Electron 28). */
export type NetFetcher = Pick<Net, 'fetch'>;

/** The name Chromium gives a network error (net/base/net_error_list.h), as Electron's message. */
const CHROMIUM_NET_ERROR = /^net::ERR_[A-Z0-9_]+$/;

/**
 * Chromium's network errors as Node's `fetch` reports its own: a
 * `TypeError('fetch failed')` with the original as `cause`. Electron rejects
 * with a plain `Error` whose message is Chromium's error name
 * (`net::ERR_PROXY_CONNECTION_FAILED`, `net::ERR_TUNNEL_CONNECTION_FAILED`,
 * `net::ERR_INTERNET_DISCONNECTED`…) and carries nothing else to tell it by;
 * without this, a refused proxy would read as a broken answer rather than as
 * "offline", and a stored session would not be kept for a retry.
 */
function asNetworkFailure(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof TypeError || !CHROMIUM_NET_ERROR.test(err.message))
    return err;
  return new TypeError('fetch failed', { cause: err });
}

/**
 * A {@link FetchLike} over Electron's `net.fetch`, for `createDesktopAuth({ fetch })`
 * and the bridge's picture fetch.
 *
 * What it changes from a bare `net.fetch`:
 * - Only `http:` and `https:` URLs: `net.fetch` also reads `file:` and the
 *   app's own custom schemes, which no provider or API answer may point it to.
 * - The app's custom protocol handlers are bypassed (they serve the renderer).
 * - Unless the caller says otherwise: no cookies or HTTP credentials from the
 *   default session (`credentials: 'omit'`: the session's cookie jar belongs to
 *   the renderer), and nothing kept in Chromium's disk cache (`cache: 'no-store'`:
 *   tokens, profiles and API answers stay off disk).
 * - Chromium's network errors (no connection, a refused proxy, DNS, TLS) are
 *   rejected as Node's `fetch` rejects its own, so the library reads them as
 *   "offline" and keeps the session.
 *
 * Redirects in `manual` mode (which openid-client and the API client use) are
 * refused by `net.fetch` with an error instead of a 3xx response
 * (electron/electron#43715): the redirect target is never requested.
 *
 * @example
 * ```ts
 * import { net } from 'electron';
 * const auth = createDesktopAuth({ config, vault, openBrowser, fetch: electronNetFetch(net) });
 * ```
 */
export function electronNetFetch(net: NetFetcher): FetchLike {
  return async (url, init) => {
    const { protocol } = new URL(url);
    if (protocol !== 'https:' && protocol !== 'http:') {
      // A misuse, not a network failure: the library must not read it as "offline".
      const misuse = new TypeError(
        `Refusing to fetch a ${protocol} URL: only http(s) goes through net.fetch.`,
      );
      throw Object.assign(misuse, { code: 'ERR_INVALID_ARG_VALUE' });
    }
    try {
      return await net.fetch(url, {
        credentials: 'omit',
        cache: 'no-store',
        ...init,
        bypassCustomProtocolHandlers: true,
      });
    } catch (err) {
      throw asNetworkFailure(err);
    }
  };
}
