import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { AuthError } from './errors.ts';

/**
 * What an app (or the CLI, or a JSON file, or the environment) may set. Every
 * field is optional: the defaults point at the local development provider.
 */
export interface AuthConfigInput {
  /** The provider's issuer URL (discovery happens at `<issuer>/.well-known/openid-configuration`). */
  issuer?: string;
  /** The client id registered at the provider (a public, native client). */
  clientId?: string;
  /**
   * The API's identifier, sent as the RFC 8707 `resource` parameter so the
   * access token is issued for that API only.
   */
  apiAudience?: string;
  /** Where the API lives; the bearer token is sent to this origin only. Defaults to `apiAudience` when that is an http(s) URL. */
  apiBaseUrl?: string;
  /** Whether to send `resource` (RFC 8707); turn off for providers that reject it (and use `authorizationParams.audience`). */
  sendResourceIndicator?: boolean;
  /** Scopes, as an array or a space-separated string. */
  scopes?: string | readonly string[];
  /** A fixed loopback port for the redirect URI, for providers that cannot match any port (RFC 8252 §7.3 says they should). */
  redirectPort?: number;
  /** Extra authorization request parameters, e.g. Auth0's `{ audience: 'https://api.example.com' }`. */
  authorizationParams?: Readonly<Record<string, string>>;
  /**
   * A client secret, only for providers that insist on one even for installed
   * apps (it is not a secret there: RFC 8252 §8.5). Switches client
   * authentication from `none` to `client_secret_post`, or `client_secret_basic` with `clientAuthMethod`.
   */
  clientSecret?: string;
  /** How the client secret is sent, when there is one. */
  clientAuthMethod?: 'client_secret_post' | 'client_secret_basic';
  /** How long a sign-in may wait for the browser, in milliseconds. */
  signInTimeoutMs?: number;
  /** How long before expiry the access token is refreshed, in seconds. */
  refreshAheadSeconds?: number;
  /** Path of the loopback post-logout redirect URI. */
  postLogoutRedirectPath?: string;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): `auto` (default) where the
   * provider's discovery lists `dpop_signing_alg_values_supported`, Bearer
   * elsewhere; `required` makes a provider without DPoP an error; `off` never.
   */
  dpop?: DPoPMode;
  /**
   * How many accounts may be signed in at once: `single` (the default: a
   * sign-in as someone else replaces the account) or `multiple` (each sign-in
   * adds its account, or renews it when it is already there; one is active).
   */
  accounts?: AccountsMode;
}

/** The values of {@link AuthConfigInput.accounts}. */
export type AccountsMode = 'single' | 'multiple';

/** The values of {@link AuthConfigInput.accounts}. */
export const ACCOUNTS_MODES: readonly AccountsMode[] = Object.freeze(['single', 'multiple']);

/**
 * Whether sessions are sender-constrained with DPoP (RFC 9449): `auto` where
 * the provider's discovery lists `dpop_signing_alg_values_supported`
 * (RFC 9449 §5.1), `required` (a provider without it is an error), `off`.
 */
export type DPoPMode = 'auto' | 'required' | 'off';

/** The values of {@link AuthConfigInput.dpop}. */
export const DPOP_MODES: readonly DPoPMode[] = Object.freeze(['auto', 'required', 'off']);

/** A validated configuration with every default filled in. Build one with {@link defineConfig} or {@link loadConfig}. */
export interface AuthConfig {
  readonly issuer: URL;
  readonly clientId: string;
  readonly apiAudience: string;
  /** The origin (`scheme://host:port`) the bearer token may be sent to. */
  readonly apiOrigin: string;
  /** The base URL relative API paths are resolved against. */
  readonly apiBaseUrl: URL;
  readonly sendResourceIndicator: boolean;
  readonly scopes: readonly string[];
  readonly redirectPort: number | undefined;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly clientSecret: string | undefined;
  readonly clientAuthMethod: 'none' | 'client_secret_post' | 'client_secret_basic';
  readonly signInTimeoutMs: number;
  readonly refreshAheadSeconds: number;
  readonly callbackPath: string;
  readonly postLogoutRedirectPath: string;
  readonly dpop: DPoPMode;
  readonly accounts: AccountsMode;
}

/** The defaults: the local development provider and API started by this repository. */
export const DEFAULT_CONFIG = Object.freeze({
  issuer: 'http://127.0.0.1:4000',
  clientId: 'desktop-app',
  apiAudience: 'http://127.0.0.1:3000',
  scopes: Object.freeze(['openid', 'profile', 'email', 'offline_access', 'read:messages']),
  signInTimeoutMs: 5 * 60_000,
  refreshAheadSeconds: 60,
  callbackPath: '/callback',
  postLogoutRedirectPath: '/logout',
});

/**
 * Parameters the library sets itself; letting `authorizationParams` override
 * them would weaken PKCE, `state`, `nonce` or the redirect (RFC 9700 §2.1).
 */
const RESERVED_AUTHORIZATION_PARAMS = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'request',
  'request_uri',
  // RFC 9449 §10: binds the authorization code to the session's DPoP key.
  'dpop_jkt',
]);

function configError(option: string, message: string): AuthError {
  return new AuthError('ERR_CONFIG', `Invalid configuration "${option}": ${message}`, { option });
}

/** Whether a host name is loopback: 127.0.0.0/8, ::1 or `localhost` (RFC 8252 §7.3, RFC 6761 §6.3). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function parseHttpUrl(option: string, value: unknown, { allowPath }: { allowPath: boolean }): URL {
  if (typeof value !== 'string' || value.trim() === '') {
    throw configError(option, 'it must be a non-empty URL string such as "https://login.example.com".');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(option, `"${value}" is not a URL; write it in full, e.g. "https://login.example.com".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configError(option, `"${value}" must use https.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw configError(
      option,
      `"${value}" uses plain http on a non-loopback host; use https (plain http is allowed only on 127.0.0.1, ::1 or localhost).`,
    );
  }
  if (url.username || url.password) throw configError(option, 'it must not contain credentials.');
  if (url.hash) throw configError(option, 'it must not contain a fragment (#...).');
  if (!allowPath && url.search) throw configError(option, 'it must not contain a query string.');
  return url;
}

function parseScopes(value: AuthConfigInput['scopes']): readonly string[] {
  if (value === undefined) return DEFAULT_CONFIG.scopes;
  const list = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? [...value] : null;
  if (list === null || list.some((s) => typeof s !== 'string')) {
    throw configError('scopes', 'give an array of strings or a space-separated string.');
  }
  const scopes = [...new Set(list.filter((s) => s !== ''))];
  // RFC 6749 §3.3: scope tokens are printable ASCII without space, " or \.
  const bad = scopes.find((s) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s));
  if (bad !== undefined) throw configError('scopes', `"${bad}" is not a valid scope token (RFC 6749 §3.3).`);
  if (!scopes.includes('openid')) {
    throw configError('scopes', 'must include "openid": the library signs users in with OpenID Connect.');
  }
  return Object.freeze(scopes);
}

function parseInteger(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw configError(
      option,
      `it must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}

function parsePath(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9\-._~/]*$/.test(value)) {
    throw configError(option, 'it must be a URL path starting with "/", e.g. "/logout".');
  }
  return value;
}

/** The options {@link AuthConfigInput} knows; any other key is a typo worth stopping for. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof AuthConfigInput>([
  'issuer',
  'clientId',
  'apiAudience',
  'apiBaseUrl',
  'sendResourceIndicator',
  'scopes',
  'redirectPort',
  'authorizationParams',
  'clientSecret',
  'clientAuthMethod',
  'signInTimeoutMs',
  'refreshAheadSeconds',
  'postLogoutRedirectPath',
  'dpop',
  'accounts',
]);

function assertKnownOptions(input: object): void {
  for (const key of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw configError(key, `unknown option; known options are ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
}

function parseIssuer(value: unknown): URL {
  const issuer = parseHttpUrl('issuer', value, { allowPath: true });
  if (issuer.search) throw configError('issuer', 'an issuer identifier has no query string (RFC 8414 §2).');
  return issuer;
}

function parseClientId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw configError('clientId', 'give the client id registered at the provider.');
  }
  return value;
}

/** The API's identifier, and whether it is sent as RFC 8707 `resource` (then it must be an absolute URI). */
function parseApiAudience(input: AuthConfigInput): { apiAudience: string; sendResourceIndicator: boolean } {
  const apiAudience = input.apiAudience ?? DEFAULT_CONFIG.apiAudience;
  if (typeof apiAudience !== 'string' || apiAudience === '') {
    throw configError('apiAudience', 'give the API\'s identifier, e.g. "https://api.example.com".');
  }
  const sendResourceIndicator = input.sendResourceIndicator ?? true;
  if (typeof sendResourceIndicator !== 'boolean') {
    throw configError('sendResourceIndicator', 'use true or false.');
  }
  // RFC 8707 §2: the resource is an absolute URI without a fragment.
  if (sendResourceIndicator && !(URL.canParse(apiAudience) && !new URL(apiAudience).hash)) {
    throw configError(
      'apiAudience',
      `"${apiAudience}" is not an absolute URI without fragment, as RFC 8707 "resource" requires; fix it or set sendResourceIndicator to false.`,
    );
  }
  return { apiAudience, sendResourceIndicator };
}

/** Where the API lives: `apiBaseUrl`, else `apiAudience` when that is an http(s) URL. */
function parseApiBaseUrl(value: string | undefined, apiAudience: string): URL {
  if (value !== undefined) return parseHttpUrl('apiBaseUrl', value, { allowPath: true });
  if (!/^https?:\/\//i.test(apiAudience)) {
    throw configError(
      'apiBaseUrl',
      `"apiAudience" (${apiAudience}) is not an http(s) URL; give the API's URL here.`,
    );
  }
  return parseHttpUrl('apiAudience', apiAudience, { allowPath: true });
}

function parseAuthorizationParams(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (typeof value !== 'object' || value === null) {
    throw configError('authorizationParams', 'give an object of string values, e.g. { "audience": "..." }.');
  }
  const params: Record<string, string> = {};
  for (const [key, param] of Object.entries(value)) {
    if (RESERVED_AUTHORIZATION_PARAMS.has(key)) {
      throw configError(
        `authorizationParams.${key}`,
        'the library sets this parameter itself; remove it (use scopes or apiAudience instead where they apply).',
      );
    }
    if (typeof param !== 'string')
      throw configError(`authorizationParams.${key}`, 'the value must be a string.');
    params[key] = param;
  }
  return Object.freeze(params);
}

/** `none` for a public client; with a secret, how it is sent (`client_secret_post` unless told otherwise). */
function parseClientAuthentication(
  input: AuthConfigInput,
): Pick<AuthConfig, 'clientSecret' | 'clientAuthMethod'> {
  const { clientSecret, clientAuthMethod: method } = input;
  if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) {
    throw configError('clientSecret', 'leave it out for public clients, or give the non-empty secret.');
  }
  if (method !== undefined && method !== 'client_secret_post' && method !== 'client_secret_basic') {
    throw configError('clientAuthMethod', 'use "client_secret_post" or "client_secret_basic".');
  }
  if (method !== undefined && clientSecret === undefined) {
    throw configError(
      'clientAuthMethod',
      'it only applies with a clientSecret; remove it or set clientSecret.',
    );
  }
  if (clientSecret === undefined) return { clientSecret, clientAuthMethod: 'none' };
  return { clientSecret, clientAuthMethod: method ?? 'client_secret_post' };
}

function parseDPoPMode(value: unknown): DPoPMode {
  if (value === undefined) return 'auto';
  if (typeof value !== 'string' || !(DPOP_MODES as readonly string[]).includes(value)) {
    throw configError('dpop', `use "auto", "required" or "off" (got ${JSON.stringify(value)}).`);
  }
  return value as DPoPMode;
}

function parseAccountsMode(value: unknown): AccountsMode {
  if (value === undefined) return 'single';
  if (typeof value !== 'string' || !(ACCOUNTS_MODES as readonly string[]).includes(value)) {
    throw configError('accounts', `use "single" or "multiple" (got ${JSON.stringify(value)}).`);
  }
  return value as AccountsMode;
}

/** An optional whole number in `[min, max]`, else `fallback`. */
function optionalInteger(option: string, value: unknown, fallback: number, min: number, max: number): number {
  return value === undefined ? fallback : parseInteger(option, value, min, max);
}

/**
 * Validates a configuration and fills in the defaults. Every problem is an
 * {@link AuthError} `ERR_CONFIG` whose message names the option and says how to fix it.
 *
 * @example
 * ```ts
 * const config = defineConfig({ issuer: 'https://login.example.com', clientId: 'my-app', apiAudience: 'https://api.example.com' });
 * ```
 */
export function defineConfig(input: AuthConfigInput = {}): AuthConfig {
  if (typeof input !== 'object' || input === null) throw configError('config', 'it must be an object.');
  assertKnownOptions(input);
  const issuer = parseIssuer(input.issuer ?? DEFAULT_CONFIG.issuer);
  const clientId = parseClientId(input.clientId ?? DEFAULT_CONFIG.clientId);
  const { apiAudience, sendResourceIndicator } = parseApiAudience(input);
  const apiBaseUrl = parseApiBaseUrl(input.apiBaseUrl, apiAudience);
  const redirectPort =
    input.redirectPort === undefined ? undefined : parseInteger('redirectPort', input.redirectPort, 1, 65535);
  const authorizationParams = parseAuthorizationParams(input.authorizationParams);
  const clientAuthentication = parseClientAuthentication(input);
  return Object.freeze({
    issuer,
    clientId,
    apiAudience,
    apiOrigin: apiBaseUrl.origin,
    apiBaseUrl,
    sendResourceIndicator,
    scopes: parseScopes(input.scopes),
    redirectPort,
    authorizationParams,
    ...clientAuthentication,
    signInTimeoutMs: optionalInteger(
      'signInTimeoutMs',
      input.signInTimeoutMs,
      DEFAULT_CONFIG.signInTimeoutMs,
      1,
      24 * 3600_000,
    ),
    refreshAheadSeconds: optionalInteger(
      'refreshAheadSeconds',
      input.refreshAheadSeconds,
      DEFAULT_CONFIG.refreshAheadSeconds,
      0,
      3600,
    ),
    callbackPath: DEFAULT_CONFIG.callbackPath,
    postLogoutRedirectPath:
      input.postLogoutRedirectPath === undefined
        ? DEFAULT_CONFIG.postLogoutRedirectPath
        : parsePath('postLogoutRedirectPath', input.postLogoutRedirectPath),
    dpop: parseDPoPMode(input.dpop),
    accounts: parseAccountsMode(input.accounts),
  });
}

/**
 * The environment variables {@link loadConfigFromEnv} reads, and the option each sets.
 * `OIDC_AUDIENCE_PARAM` sets `authorizationParams.audience` (Auth0's API audience).
 */
export const CONFIG_ENV_VARS = Object.freeze({
  OIDC_ISSUER: 'issuer',
  OIDC_CLIENT_ID: 'clientId',
  OIDC_API_AUDIENCE: 'apiAudience',
  OIDC_API_BASE_URL: 'apiBaseUrl',
  OIDC_SEND_RESOURCE: 'sendResourceIndicator',
  OIDC_SCOPES: 'scopes',
  OIDC_REDIRECT_PORT: 'redirectPort',
  OIDC_AUDIENCE_PARAM: 'authorizationParams.audience',
  OIDC_CLIENT_SECRET: 'clientSecret',
  OIDC_CLIENT_AUTH_METHOD: 'clientAuthMethod',
  OIDC_SIGN_IN_TIMEOUT_MS: 'signInTimeoutMs',
  OIDC_REFRESH_AHEAD_SECONDS: 'refreshAheadSeconds',
  OIDC_POST_LOGOUT_PATH: 'postLogoutRedirectPath',
  OIDC_DPOP: 'dpop',
  OIDC_ACCOUNTS: 'accounts',
} as const);

/** An option {@link CONFIG_ENV_VARS} sets. */
type EnvOption = (typeof CONFIG_ENV_VARS)[keyof typeof CONFIG_ENV_VARS];

/** Turns a variable's text into the option's value; errors name the variable. */
type EnvParser = (name: string, value: string) => unknown;

function envNumber(name: string, value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new AuthError(
      'ERR_CONFIG',
      `Invalid environment variable ${name}: "${value}" is not a whole number.`,
      { option: name },
    );
  }
  return Number(value);
}

function envBoolean(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new AuthError('ERR_CONFIG', `Invalid environment variable ${name}: use true or false.`, {
    option: name,
  });
}

/** The options that are not strings; every other variable is taken as written (trimmed). */
const ENV_PARSERS: Readonly<Partial<Record<EnvOption, EnvParser>>> = Object.freeze({
  sendResourceIndicator: envBoolean,
  redirectPort: envNumber,
  signInTimeoutMs: envNumber,
  refreshAheadSeconds: envNumber,
});

/** Sets `option` (a name, or `authorizationParams.<key>`) on `input`. */
function setOption(input: AuthConfigInput, option: EnvOption, value: unknown): void {
  const [head, key] = option.split('.');
  if (head === 'authorizationParams' && key !== undefined) {
    input.authorizationParams = { ...input.authorizationParams, [key]: String(value) };
  } else {
    (input as Record<string, unknown>)[option] = value;
  }
}

/**
 * Reads the configuration from environment variables (see {@link CONFIG_ENV_VARS});
 * unset or empty variables are left out, so the result can be layered over a file.
 * Values are checked by {@link defineConfig}; a variable that is not even of
 * the option's type (e.g. a port that is not a number) is an `ERR_CONFIG` naming it.
 *
 * @example
 * ```ts
 * const config = defineConfig(loadConfigFromEnv(process.env));
 * ```
 */
export function loadConfigFromEnv(env: Readonly<Record<string, string | undefined>>): AuthConfigInput {
  const out: AuthConfigInput = {};
  for (const [name, option] of Object.entries(CONFIG_ENV_VARS)) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    const parse = ENV_PARSERS[option];
    setOption(out, option, parse === undefined ? value : parse(name, value));
  }
  return out;
}

/**
 * Reads a JSON configuration file whose keys are those of {@link AuthConfigInput}.
 * A missing file is an `ERR_CONFIG` naming the path; so is invalid JSON.
 */
export async function readConfigFile(path: string): Promise<AuthConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AuthError('ERR_CONFIG', `Cannot read the configuration file ${path}; check the path.`, {
      cause,
      option: 'configFile',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AuthError('ERR_CONFIG', `The configuration file ${path} is not valid JSON.`, {
      cause,
      option: 'configFile',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthError('ERR_CONFIG', `The configuration file ${path} must hold a JSON object.`, {
      option: 'configFile',
    });
  }
  return parsed as AuthConfigInput;
}

/** Layers configuration inputs, later ones winning; `authorizationParams` are merged key by key. */
export function mergeConfig(...layers: ReadonlyArray<AuthConfigInput | undefined>): AuthConfigInput {
  const out: AuthConfigInput = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    const { authorizationParams, ...rest } = layer;
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
    if (authorizationParams !== undefined) {
      out.authorizationParams = { ...out.authorizationParams, ...authorizationParams };
    }
  }
  return out;
}

/**
 * The configuration an app and its CLI share: defaults, then the JSON file
 * (when given), then the environment, then explicit overrides; validated.
 *
 * @example
 * ```ts
 * const config = await loadConfig({ file: 'oidc.json', env: process.env });
 * ```
 */
export async function loadConfig(
  sources: {
    file?: string;
    env?: Readonly<Record<string, string | undefined>>;
    overrides?: AuthConfigInput;
  } = {},
): Promise<AuthConfig> {
  const fromFile = sources.file === undefined ? undefined : await readConfigFile(sources.file);
  const fromEnv = sources.env === undefined ? undefined : loadConfigFromEnv(sources.env);
  return defineConfig(mergeConfig(fromFile, fromEnv, sources.overrides));
}
