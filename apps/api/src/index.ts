// The API's public surface, for tests and for whoever embeds it.
export {
  createApi,
  createDpopCheckFromConfig,
  createVerifierFromConfig,
  privateRouteAuth,
  publicUrlOf,
} from './app.ts';
export type { CreateApiOptions, RouteAuthConfig } from './app.ts';
export { ApiConfigError, checkApiConfig, DEFAULT_API_CONFIG, loadApiConfig } from './config.ts';
export type {
  ApiConfig,
  ApiConfigProblem,
  DpopNonceSetting,
  DpopSetting,
  TokenCacheSetting,
} from './config.ts';
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
export { boundKeyOf, createDpopCheck } from './auth/dpop/check.ts';
export type { DpopCheck, DpopCheckOptions, DpopRequest } from './auth/dpop/check.ts';
export { createDpopNonces } from './auth/dpop/nonce.ts';
export type { DpopNonceOptions, DpopNonces } from './auth/dpop/nonce.ts';
export { DPOP_ALGORITHMS } from './auth/dpop/proof-key.ts';
export { createReplayCache } from './auth/dpop/replay-cache.ts';
export type { ReplayCache, ReplayCacheOptions, ReplayVerdict } from './auth/dpop/replay-cache.ts';
export { requireAuthentication } from './auth/step-up.ts';
export type { AuthenticationPolicy } from './auth/step-up.ts';
export {
  BEARER_SCHEME,
  BearerError,
  InsufficientUserAuthenticationError,
  InvalidDpopProofError,
  UseDpopNonceError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  UnauthorizedError,
} from './auth/errors.ts';
export type { AuthenticationRequirement, BearerErrorCode, ChallengeScheme } from './auth/errors.ts';
