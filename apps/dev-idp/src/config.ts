import path from 'node:path';

/** Everything the local provider needs to start, after validation. */
export interface IdpConfig {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  clientId: string;
  /** The API's resource indicator (RFC 8707); the `aud` of its JWT access tokens. */
  apiResource: string;
  /** Holds signing keys, cookie keys, grants, sessions and refresh tokens. */
  dataDir: string;
  /** Access token lifetime in seconds; short values let tests see tokens expire. */
  accessTokenTtl: number;
  /** Refresh token lifetime in seconds. */
  refreshTokenTtl: number;
  /** Whether every refresh answers with a new refresh token and retires the old one (RFC 9700 §4.14.2). */
  refreshTokenRotation: boolean;
  /** Registered redirect URIs; loopback ones match any port (RFC 8252 §7.3). */
  redirectUris: string[];
  /** Registered post-logout redirect URIs; loopback ones match any port too. */
  postLogoutRedirectUris: string[];
  /**
   * Whether every DPoP proof must carry a nonce this provider issued (RFC 9449 §8). Off, nonces
   * are still handed out, and demanded of a proof whose `iat` is too far off (§11.1).
   */
  dpopNonce: boolean;
}

export const DEFAULT_PORT = 4000;
export const DEFAULT_CLIENT_ID = 'desktop-app';
export const DEFAULT_API_RESOURCE = 'http://127.0.0.1:3000';
export const DEFAULT_DATA_DIR = path.resolve(import.meta.dirname, '..', '.data');
export const DEFAULT_ACCESS_TOKEN_TTL = 5 * 60;
export const DEFAULT_REFRESH_TOKEN_TTL = 14 * 24 * 60 * 60;
export const DEFAULT_REDIRECT_URIS = ['http://127.0.0.1/callback'];
export const DEFAULT_POST_LOGOUT_REDIRECT_URIS = ['http://127.0.0.1/logout'];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
const ONE_YEAR = 365 * 24 * 60 * 60;

/** A configuration value that cannot be used; `variable` names the environment variable or option. */
export class IdpConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'IdpConfigError';
    this.variable = variable;
  }
}

/**
 * Reads the provider's configuration from the environment, falling back to
 * the documented defaults for unset (or empty) variables.
 *
 * @throws {IdpConfigError} naming the variable and how to fix it.
 */
export function loadIdpConfig(env: NodeJS.ProcessEnv): IdpConfig {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const port = value('IDP_PORT');
  const clientId = value('IDP_CLIENT_ID');
  const apiResource = value('IDP_API_RESOURCE');
  const dataDir = value('IDP_DATA_DIR');
  const accessTokenTtl = value('IDP_ACCESS_TOKEN_TTL');
  const refreshTokenTtl = value('IDP_REFRESH_TOKEN_TTL');
  const rotation = value('IDP_REFRESH_TOKEN_ROTATION');
  const redirectUris = value('IDP_REDIRECT_URIS');
  const postLogoutRedirectUris = value('IDP_POST_LOGOUT_REDIRECT_URIS');
  const dpopNonce = value('IDP_DPOP_NONCE');

  return {
    port: port === undefined ? DEFAULT_PORT : parsePort('IDP_PORT', port),
    clientId: clientId === undefined ? DEFAULT_CLIENT_ID : checkClientId('IDP_CLIENT_ID', clientId),
    apiResource:
      apiResource === undefined ? DEFAULT_API_RESOURCE : checkResource('IDP_API_RESOURCE', apiResource),
    dataDir: dataDir === undefined ? DEFAULT_DATA_DIR : path.resolve(dataDir),
    accessTokenTtl:
      accessTokenTtl === undefined
        ? DEFAULT_ACCESS_TOKEN_TTL
        : parseSeconds('IDP_ACCESS_TOKEN_TTL', accessTokenTtl, 24 * 60 * 60),
    refreshTokenTtl:
      refreshTokenTtl === undefined
        ? DEFAULT_REFRESH_TOKEN_TTL
        : parseSeconds('IDP_REFRESH_TOKEN_TTL', refreshTokenTtl, ONE_YEAR),
    refreshTokenRotation: rotation === undefined ? true : parseSwitch('IDP_REFRESH_TOKEN_ROTATION', rotation),
    redirectUris:
      redirectUris === undefined
        ? DEFAULT_REDIRECT_URIS
        : checkRedirectUris('IDP_REDIRECT_URIS', splitList(redirectUris)),
    postLogoutRedirectUris:
      postLogoutRedirectUris === undefined
        ? DEFAULT_POST_LOGOUT_REDIRECT_URIS
        : checkRedirectUris('IDP_POST_LOGOUT_REDIRECT_URIS', splitList(postLogoutRedirectUris)),
    dpopNonce: dpopNonce === undefined ? false : parseSwitch('IDP_DPOP_NONCE', dpopNonce),
  };
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function parsePort(variable: string, raw: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new IdpConfigError(
      variable,
      `"${raw}" is not a port number; use an integer from 0 to 65535 (0 picks a free port).`,
    );
  }
  return checkPort(variable, Number(raw));
}

export function checkPort(variable: string, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new IdpConfigError(
      variable,
      `${port} is not a port number; use an integer from 0 to 65535 (0 picks a free port).`,
    );
  }
  return port;
}

export function parseSeconds(variable: string, raw: string, max: number): number {
  if (!/^\d+$/.test(raw)) {
    throw new IdpConfigError(
      variable,
      `"${raw}" is not a whole number of seconds; use an integer from 1 to ${max}, e.g. 300.`,
    );
  }
  return checkSeconds(variable, Number(raw), max);
}

export function checkSeconds(variable: string, seconds: number, max: number): number {
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > max) {
    throw new IdpConfigError(
      variable,
      `${seconds} is out of range; use a whole number of seconds from 1 to ${max}.`,
    );
  }
  return seconds;
}

function parseSwitch(variable: string, raw: string): boolean {
  switch (raw.toLowerCase()) {
    case 'on':
    case 'true':
    case '1':
      return true;
    case 'off':
    case 'false':
    case '0':
      return false;
    default:
      throw new IdpConfigError(variable, `"${raw}" is neither on nor off; use "on" or "off".`);
  }
}

export function checkClientId(variable: string, clientId: string): string {
  // client_id is a VSCHAR string (RFC 6749 Appendix A.1); we also keep out spaces and
  // characters that would need escaping in the URLs we print.
  if (!/^[\w.~:-]+$/.test(clientId)) {
    throw new IdpConfigError(
      variable,
      `"${clientId}" is not a usable client id; use letters, digits and . _ ~ : - only, e.g. "desktop-app".`,
    );
  }
  return clientId;
}

export function checkResource(variable: string, resource: string): string {
  const url = URL.parse(resource);
  // RFC 8707 §2: an absolute URI without a fragment.
  if (!url || resource.includes('#')) {
    throw new IdpConfigError(
      variable,
      `"${resource}" is not an absolute URI without a fragment; use the API's origin, e.g. "http://127.0.0.1:3000".`,
    );
  }
  return resource;
}

export function checkRedirectUris(variable: string, uris: readonly string[]): string[] {
  if (uris.length === 0) {
    throw new IdpConfigError(variable, 'no URI given; list one or more, separated by commas.');
  }
  for (const uri of uris) {
    const url = URL.parse(uri);
    if (!url || uri.includes('#')) {
      throw new IdpConfigError(variable, `"${uri}" is not an absolute URI without a fragment.`);
    }
    // RFC 8252 §7.3 and §8.3: a native app's http redirect must be a loopback IP literal
    // (localhost is tolerated by oidc-provider but not recommended).
    if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new IdpConfigError(
        variable,
        `"${uri}" uses http on a host that is not loopback; a native app's http redirect must be e.g. "http://127.0.0.1/callback".`,
      );
    }
    if (url.protocol === 'https:' && LOOPBACK_HOSTS.has(url.hostname)) {
      throw new IdpConfigError(
        variable,
        `"${uri}" uses https on loopback; use http://127.0.0.1/… for a loopback redirect.`,
      );
    }
  }
  return [...uris];
}
