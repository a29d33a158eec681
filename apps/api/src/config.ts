import { describeInsecureUrl } from './auth/secure-url.ts';
import type { AccessTokenType } from './auth/verify.ts';
import { LOG_LEVELS } from './logger.ts';
import type { LogLevel } from './logger.ts';

/** Everything the API needs to run. {@link loadApiConfig} builds it from the environment. */
export interface ApiConfig {
  /** `ISSUER_URL`: the token issuer, exactly as its discovery document names it. */
  issuer: string;
  /** `AUDIENCE`: this API's identifier, expected in the tokens' `aud`. */
  audience: string;
  /** `HOST`: the address to listen on. */
  host: string;
  /** `PORT`: the port to listen on (0 picks a free one). */
  port: number;
  /** `REQUIRED_SCOPE`: the scope `GET /private` needs. */
  requiredScope: string;
  /** `ACCESS_TOKEN_TYPE`: `at+jwt` (RFC 9068, the default) or `any` to accept other `typ`s. */
  accessTokenType: AccessTokenType;
  /** Leeway for `exp`/`nbf`, in seconds. */
  clockToleranceSeconds: number;
  /** Timeout of each discovery and JWKS request. */
  fetchTimeoutMs: number;
  /** No JWKS refetch for an unknown `kid` within this long after a fetch. */
  jwksCooldownMs: number;
  /** The JWKS is refetched when older than this. */
  jwksCacheMaxAgeMs: number;
  /**
   * After the issuer's discovery or JWKS request fails, the API sends it no new one for this
   * many seconds, and answers 503 with this `Retry-After` meanwhile (from 1 to 300).
   */
  issuerRetryAfterSeconds: number;
  /**
   * `TOKEN_CACHE`: `on` (the default) remembers verified tokens (see `createTokenCache`), so a
   * token seen before costs no signature check; `off` verifies every request in full.
   */
  tokenCache: TokenCacheSetting;
  /** How many verified tokens the cache remembers at most. */
  tokenCacheMaxEntries: number;
  /** A remembered token is verified again at least this often, whatever its `exp`. */
  tokenCacheMaxAgeMs: number;
  /**
   * `LOG_LEVEL`: the least severe entry written (pino's levels). `info` (the default) logs
   * every request; `warn` only refused and failed ones; `silent` nothing.
   */
  logLevel: LogLevel;
}

export type TokenCacheSetting = 'on' | 'off';

/** The defaults: the local provider, this API on 127.0.0.1:3000, jose's JWKS timings. */
export const DEFAULT_API_CONFIG: Readonly<ApiConfig> = Object.freeze({
  issuer: 'http://127.0.0.1:4000',
  audience: 'http://127.0.0.1:3000',
  host: '127.0.0.1',
  port: 3000,
  requiredScope: 'read:messages',
  accessTokenType: 'at+jwt',
  clockToleranceSeconds: 30,
  fetchTimeoutMs: 5_000,
  jwksCooldownMs: 30_000,
  jwksCacheMaxAgeMs: 600_000,
  issuerRetryAfterSeconds: 5,
  tokenCache: 'on',
  tokenCacheMaxEntries: 10_000,
  tokenCacheMaxAgeMs: 60_000,
  logLevel: 'info',
});

/** The environment variable behind each setting that has one. */
const VARIABLES = {
  issuer: 'ISSUER_URL',
  audience: 'AUDIENCE',
  host: 'HOST',
  port: 'PORT',
  requiredScope: 'REQUIRED_SCOPE',
  accessTokenType: 'ACCESS_TOKEN_TYPE',
  tokenCache: 'TOKEN_CACHE',
  logLevel: 'LOG_LEVEL',
} as const satisfies Partial<Record<keyof ApiConfig, string>>;

type VariableKey = keyof typeof VARIABLES;

export interface ApiConfigProblem {
  /** The environment variable (or, for settings made in code, the property) at fault. */
  variable: string;
  message: string;
}

/** The configuration is wrong; `problems` names each variable and how to fix it. */
export class ApiConfigError extends Error {
  readonly problems: readonly ApiConfigProblem[];

  constructor(problems: readonly ApiConfigProblem[]) {
    super(`Invalid API configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ApiConfigError';
    this.problems = problems;
  }
}

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const ACCESS_TOKEN_TYPES: readonly string[] = ['at+jwt', 'any'] satisfies AccessTokenType[];
const TOKEN_CACHE_SETTINGS: readonly string[] = ['on', 'off'] satisfies TokenCacheSetting[];
const DURATIONS = [
  'clockToleranceSeconds',
  'fetchTimeoutMs',
  'jwksCooldownMs',
  'jwksCacheMaxAgeMs',
  'tokenCacheMaxAgeMs',
] as const;

function problemsOf(config: ApiConfig, nameOf: (key: keyof ApiConfig) => string): ApiConfigProblem[] {
  const problems: ApiConfigProblem[] = [];
  const add = (key: keyof ApiConfig, message: string) => problems.push({ variable: nameOf(key), message });

  const issuerProblem = describeInsecureUrl(config.issuer);
  if (issuerProblem !== undefined) {
    add('issuer', `${issuerProblem}. Set it to the provider's issuer, e.g. https://example.eu.auth0.com/`);
  } else if (new URL(config.issuer).search !== '') {
    add('issuer', `"${config.issuer}" must not contain a query (OpenID Connect Discovery 1.0 §3).`);
  }
  if (config.audience === '' || /\s/.test(config.audience)) {
    add(
      'audience',
      `"${config.audience}" must be the API identifier without spaces, e.g. https://api.example.com`,
    );
  }
  if (config.host === '' || /\s/.test(config.host)) {
    add('host', `"${config.host}" must be an address to listen on, e.g. 127.0.0.1`);
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535) {
    add('port', `"${config.port}" is not a port; use an integer from 0 to 65535 (0 picks a free port).`);
  }
  if (!SCOPE_TOKEN.test(config.requiredScope)) {
    add(
      'requiredScope',
      `"${config.requiredScope}" must be one scope (no spaces, quotes or backslashes), e.g. read:messages`,
    );
  }
  if (!ACCESS_TOKEN_TYPES.includes(config.accessTokenType)) {
    add(
      'accessTokenType',
      `"${config.accessTokenType}" is not supported; use at+jwt (RFC 9068), or any for a provider ` +
        'whose access tokens have another typ (such as JWT).',
    );
  }
  if (!TOKEN_CACHE_SETTINGS.includes(config.tokenCache)) {
    add(
      'tokenCache',
      `"${config.tokenCache}" is not supported; use on (remember verified tokens, the default) or off.`,
    );
  }
  if (!LOG_LEVELS.includes(config.logLevel)) {
    add('logLevel', `"${config.logLevel}" is not a level; use one of ${LOG_LEVELS.join(', ')}.`);
  }
  const retryAfter = config.issuerRetryAfterSeconds;
  if (!Number.isInteger(retryAfter) || retryAfter < 1 || retryAfter > 300) {
    add('issuerRetryAfterSeconds', `"${retryAfter}" must be an integer from 1 to 300 (seconds).`);
  }
  if (!Number.isInteger(config.tokenCacheMaxEntries) || config.tokenCacheMaxEntries < 1) {
    add('tokenCacheMaxEntries', `"${config.tokenCacheMaxEntries}" must be a positive integer.`);
  }
  for (const key of DURATIONS) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      add(key, `"${config[key]}" must be a non-negative integer.`);
    }
  }
  return problems;
}

/**
 * Checks a configuration built in code (see `startApi`), naming the property at fault.
 *
 * @throws {ApiConfigError} some setting is invalid.
 */
export function checkApiConfig(config: ApiConfig): ApiConfig {
  const problems = problemsOf(config, (key) => key);
  if (problems.length > 0) throw new ApiConfigError(problems);
  return config;
}

/**
 * Reads the configuration from the environment: `ISSUER_URL`, `AUDIENCE`, `HOST`, `PORT`,
 * `REQUIRED_SCOPE`, `ACCESS_TOKEN_TYPE`, `TOKEN_CACHE`, `LOG_LEVEL`. An unset or empty variable takes its default.
 *
 * @throws {ApiConfigError} some variable is invalid; the message names each one and how to fix it.
 *
 * @example
 * ```ts
 * const config = loadApiConfig(process.env);
 * ```
 */
export function loadApiConfig(env: NodeJS.ProcessEnv): ApiConfig {
  const read = (key: VariableKey): string | undefined => {
    const value = env[VARIABLES[key]]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const problems: ApiConfigProblem[] = [];

  const portText = read('port');
  let port = DEFAULT_API_CONFIG.port;
  if (portText !== undefined) {
    // Digits only: Number('0x10') or Number('1e3') would silently pick another port.
    if (/^\d+$/.test(portText)) port = Number(portText);
    else
      problems.push({
        variable: 'PORT',
        message: `"${portText}" is not a port; use an integer from 0 to 65535.`,
      });
  }

  const config: ApiConfig = {
    ...DEFAULT_API_CONFIG,
    issuer: read('issuer') ?? DEFAULT_API_CONFIG.issuer,
    audience: read('audience') ?? DEFAULT_API_CONFIG.audience,
    host: read('host') ?? DEFAULT_API_CONFIG.host,
    port,
    requiredScope: read('requiredScope') ?? DEFAULT_API_CONFIG.requiredScope,
    // Checked just below, with the other settings.
    accessTokenType: (read('accessTokenType') ?? DEFAULT_API_CONFIG.accessTokenType) as AccessTokenType,
    tokenCache: (read('tokenCache') ?? DEFAULT_API_CONFIG.tokenCache) as TokenCacheSetting,
    logLevel: (read('logLevel') ?? DEFAULT_API_CONFIG.logLevel) as LogLevel,
  };
  problems.push(...problemsOf(config, (key) => (key in VARIABLES ? VARIABLES[key as VariableKey] : key)));
  if (problems.length > 0) throw new ApiConfigError(problems);
  return config;
}
