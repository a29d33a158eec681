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
  /**
   * `PUBLIC_URL`: this API's URL as clients reach it (behind a proxy, the proxy's), which a
   * DPoP proof's `htu` must name; a path prefix the proxy removes goes at its end. Default:
   * the listen address, `http://HOST:PORT` (the port actually bound when `PORT=0`).
   */
  publicUrl?: string;
  /**
   * `DPOP`: `allowed` (the default) takes DPoP-bound tokens with their proofs and unbound
   * Bearer tokens; `required` refuses Bearer tokens with a DPoP challenge (RFC 9449 §7.1).
   */
  dpop: DpopSetting;
  /**
   * `DPOP_NONCE`: `on` demands an API-issued nonce in every proof (RFC 9449 §9); `off` (the
   * default) hands one out only to a proof whose `iat` is outside the window (§11.1).
   */
  dpopNonce: DpopNonceSetting;
  /**
   * A proof without a nonce is taken when its `iat` is at most this many seconds before or after
   * the API's clock; with a valid nonce, as far off as the nonce lives (two nonce lifetimes).
   */
  dpopProofWindowSeconds: number;
  /** How many proofs (`jti`s) are remembered at most against replays (see `createReplayCache`). */
  dpopReplayCacheMaxEntries: number;
  /** Each nonce is valid for one to two slots of this many seconds (stateless, see `createDpopNonces`). */
  dpopNonceLifetimeSeconds: number;
  /** `STEP_UP_ACR`: the `acr` that `GET /private/sensitive` needs (RFC 9470). */
  stepUpAcr: string;
  /** `STEP_UP_MAX_AGE`: how old, in seconds, the sign-in behind a token for `/private/sensitive` may be. */
  stepUpMaxAgeSeconds: number;
}

export type TokenCacheSetting = 'on' | 'off';
export type DpopSetting = 'allowed' | 'required';
export type DpopNonceSetting = 'on' | 'off';

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
  dpop: 'allowed',
  dpopNonce: 'off',
  dpopProofWindowSeconds: 60,
  dpopReplayCacheMaxEntries: 100_000,
  dpopNonceLifetimeSeconds: 300,
  stepUpAcr: 'urn:electron-oidc:acr:otp',
  stepUpMaxAgeSeconds: 300,
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
  publicUrl: 'PUBLIC_URL',
  dpop: 'DPOP',
  dpopNonce: 'DPOP_NONCE',
  stepUpAcr: 'STEP_UP_ACR',
  stepUpMaxAgeSeconds: 'STEP_UP_MAX_AGE',
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
const DPOP_SETTINGS: readonly string[] = ['allowed', 'required'] satisfies DpopSetting[];
const DPOP_NONCE_SETTINGS: readonly string[] = ['on', 'off'] satisfies DpopNonceSetting[];
/** Settings that must be whole numbers from 1 up to a bound. */
const COUNTS = [
  ['dpopProofWindowSeconds', 3_600],
  ['dpopReplayCacheMaxEntries', 10_000_000],
  ['dpopNonceLifetimeSeconds', 86_400],
] as const;
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
  problems.push(...dpopProblemsOf(config, nameOf));
  for (const key of DURATIONS) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      add(key, `"${config[key]}" must be a non-negative integer.`);
    }
  }
  return problems;
}

/** Why `PUBLIC_URL` cannot be the API's URL as clients reach it, if it cannot. */
function describePublicUrlProblem(value: string): string | undefined {
  const example = 'e.g. https://api.example.com or https://example.com/api';
  if (!URL.canParse(value)) return `"${value}" is not an absolute URL; ${example}`;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return `"${value}" must be an http or https URL; ${example}`;
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    return `"${value}" must have no query, fragment or user info; ${example}`;
  }
  return undefined;
}

/** The DPoP and step-up settings (RFC 9449, RFC 9470). */
function dpopProblemsOf(config: ApiConfig, nameOf: (key: keyof ApiConfig) => string): ApiConfigProblem[] {
  const problems: ApiConfigProblem[] = [];
  const add = (key: keyof ApiConfig, message: string) => problems.push({ variable: nameOf(key), message });
  const publicUrlProblem =
    config.publicUrl === undefined ? undefined : describePublicUrlProblem(config.publicUrl);
  if (publicUrlProblem !== undefined) add('publicUrl', publicUrlProblem);
  if (!DPOP_SETTINGS.includes(config.dpop)) {
    add(
      'dpop',
      `"${config.dpop}" is not supported; use allowed (DPoP and Bearer tokens, the default) or required.`,
    );
  }
  if (!DPOP_NONCE_SETTINGS.includes(config.dpopNonce)) {
    add(
      'dpopNonce',
      `"${config.dpopNonce}" is not supported; use off (the default: nonces on demand) or on (every proof carries the API's nonce).`,
    );
  }
  for (const [key, max] of COUNTS) {
    if (!Number.isInteger(config[key]) || config[key] < 1 || config[key] > max) {
      add(key, `"${config[key]}" must be an integer from 1 to ${max}.`);
    }
  }
  if (!SCOPE_TOKEN.test(config.stepUpAcr)) {
    add(
      'stepUpAcr',
      `"${config.stepUpAcr}" must be one acr value (no spaces, quotes or backslashes), e.g. urn:electron-oidc:acr:otp`,
    );
  }
  const maxAge = config.stepUpMaxAgeSeconds;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > 31_536_000) {
    add(
      'stepUpMaxAgeSeconds',
      `"${maxAge}" must be a number of seconds from 0 to 31536000 (a year), e.g. 300.`,
    );
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
 * `REQUIRED_SCOPE`, `ACCESS_TOKEN_TYPE`, `TOKEN_CACHE`, `LOG_LEVEL`, `PUBLIC_URL`, `DPOP`,
 * `DPOP_NONCE`, `STEP_UP_ACR`, `STEP_UP_MAX_AGE`. An unset or empty variable takes its default.
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
  // Digits only: Number('0x10') or Number('1e3') would silently pick another value.
  const readInteger = (key: 'port' | 'stepUpMaxAgeSeconds', message: string): number => {
    const text = read(key);
    if (text === undefined) return DEFAULT_API_CONFIG[key];
    if (/^\d+$/.test(text)) return Number(text);
    problems.push({ variable: VARIABLES[key], message: `"${text}" ${message}` });
    return DEFAULT_API_CONFIG[key];
  };
  const port = readInteger('port', 'is not a port; use an integer from 0 to 65535.');
  const stepUpMaxAgeSeconds = readInteger(
    'stepUpMaxAgeSeconds',
    'is not a number of seconds; use an integer, e.g. 300.',
  );
  const publicUrl = read('publicUrl');

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
    ...(publicUrl === undefined ? {} : { publicUrl }),
    dpop: (read('dpop') ?? DEFAULT_API_CONFIG.dpop) as DpopSetting,
    dpopNonce: (read('dpopNonce') ?? DEFAULT_API_CONFIG.dpopNonce) as DpopNonceSetting,
    stepUpAcr: read('stepUpAcr') ?? DEFAULT_API_CONFIG.stepUpAcr,
    stepUpMaxAgeSeconds,
  };
  problems.push(...problemsOf(config, (key) => (key in VARIABLES ? VARIABLES[key as VariableKey] : key)));
  if (problems.length > 0) throw new ApiConfigError(problems);
  return config;
}
