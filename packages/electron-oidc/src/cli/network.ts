/**
 * The CLI's network: Node's `fetch` ignores the proxy variables that every
 * other command-line tool honours, so behind a corporate proxy the CLI could
 * reach neither the provider nor the API. When a proxy variable is set, every
 * request goes through undici's `EnvHttpProxyAgent` (undici's own reading of
 * `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, not one of ours); otherwise the CLI
 * uses the plain global `fetch`, as before.
 *
 * Trust: undici's agents open TLS with Node's default CA store, which holds
 * the certificates of `NODE_EXTRA_CA_CERTS` (read by Node at start-up), so a
 * corporate CA added that way is trusted through the proxy as well.
 */
import { EnvHttpProxyAgent } from 'undici';
import type { FetchLike } from '../core/fetch-like.ts';
import { nonEmptyEnv } from './cli-config.ts';
import type { CliEnv } from './cli-config.ts';

/** The proxy variables, each in the lower-case spelling first (curl's and undici's order). */
const PROXY_VARIABLES = {
  http: ['http_proxy', 'HTTP_PROXY'],
  https: ['https_proxy', 'HTTPS_PROXY'],
  none: ['no_proxy', 'NO_PROXY'],
} as const;

/** The proxy settings the CLI runs with: each `undefined` when not set. */
export interface ProxySettings {
  /** For `http:` URLs; for `https:` ones too when {@link ProxySettings.httpsProxy} is not set (undici's rule). */
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  /** Hosts reached directly: comma- or space-separated names, `.domain` suffixes, `host:port`, or `*`. */
  readonly noProxy: string | undefined;
}

function firstSet(env: CliEnv, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = nonEmptyEnv(env, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** What the environment says about proxies. */
export function proxySettings(env: CliEnv): ProxySettings {
  return {
    httpProxy: firstSet(env, PROXY_VARIABLES.http),
    httpsProxy: firstSet(env, PROXY_VARIABLES.https),
    noProxy: firstSet(env, PROXY_VARIABLES.none),
  };
}

/**
 * The `fetch` every provider and API request of the CLI goes through:
 * `undefined` (the library's default, the global `fetch`) when no proxy
 * variable is set, else the global `fetch` bound to an `EnvHttpProxyAgent`.
 *
 * The settings come from `env` only, never from `process.env` behind the
 * caller's back: unset ones are passed as empty, which undici reads as "none".
 * `NO_PROXY` exempts nothing by default, not even loopback: a loopback
 * provider goes through the proxy unless `NO_PROXY` names it.
 *
 * Plain `http:` targets are sent to the proxy as absolute-form requests
 * (RFC 9112 §3.2.2), as curl does, rather than tunnelled with `CONNECT`,
 * which common proxies allow only to port 443; `https:` targets are tunnelled.
 *
 * The global `fetch` rather than undici's own: it returns the global
 * `Response` the library and openid-client check for, and it takes undici 7's
 * dispatcher (Node 24 bundles undici 7).
 */
export function proxyFetch(env: CliEnv): FetchLike | undefined {
  const settings = proxySettings(env);
  if (settings.httpProxy === undefined && settings.httpsProxy === undefined) return undefined;
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: settings.httpProxy ?? '',
    httpsProxy: settings.httpsProxy ?? '',
    noProxy: settings.noProxy ?? '',
    proxyTunnel: false,
  });
  // `dispatcher` is Node's extension of RequestInit (undici); lib.dom's RequestInit does not name it.
  return (url, init) => fetch(url, { ...init, dispatcher } as RequestInit);
}
