// The API's public surface, for tests and for whoever embeds it.
export { createApi, createVerifierFromConfig, privateRouteAuth } from './app.ts';
export type { CreateApiOptions } from './app.ts';
export { ApiConfigError, checkApiConfig, DEFAULT_API_CONFIG, loadApiConfig } from './config.ts';
export type { ApiConfig, ApiConfigProblem, TokenCacheSetting } from './config.ts';
export { startApi } from './server.ts';
export type { RunningApi } from './server.ts';
export { createLogger, LOG_LEVELS } from './logger.ts';
export type { CreateLoggerOptions, Log, LogLevel, RequestLogEntry } from './logger.ts';
export { ACCEPTED_ALGORITHMS, createAccessTokenVerifier } from './auth/verify.ts';
export type {
  AccessTokenType,
  AccessTokenVerifier,
  AccessTokenVerifierOptions,
  VerifiedAccessToken,
} from './auth/verify.ts';
export { createIssuerKeys } from './auth/issuer-keys.ts';
export type { IssuerKeys, IssuerKeysOptions, KeysRemovedListener } from './auth/issuer-keys.ts';
export { createTokenCache } from './auth/token-cache.ts';
export type { CachingAccessTokenVerifier, TokenCacheOptions } from './auth/token-cache.ts';
export {
  BearerError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  UnauthorizedError,
} from './auth/errors.ts';
export type { BearerErrorCode } from './auth/errors.ts';
