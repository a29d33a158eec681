import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { createIssuerKeys } from './auth/issuer-keys.ts';
import { requireAccessToken } from './auth/require-access-token.ts';
import { createTokenCache } from './auth/token-cache.ts';
import { createAccessTokenVerifier } from './auth/verify.ts';
import type { AccessTokenVerifier } from './auth/verify.ts';
import type { ApiConfig } from './config.ts';
import { jsonLineLog, logRequests } from './logger.ts';
import type { Log } from './logger.ts';

export interface CreateApiOptions {
  /** Where the per-request log entries go; one JSON line on stdout by default. */
  log?: Log;
  /** Replaces the verifier built from the config (e.g. a cache wrapping it). */
  verifier?: AccessTokenVerifier;
}

/**
 * The verifier the config describes: the issuer's keys found through its discovery document,
 * and (unless `tokenCache` is `off`) a cache of the tokens it has verified.
 */
export function createVerifierFromConfig(config: ApiConfig): AccessTokenVerifier {
  const keys = createIssuerKeys({
    issuer: config.issuer,
    fetchTimeoutMs: config.fetchTimeoutMs,
    cooldownMs: config.jwksCooldownMs,
    cacheMaxAgeMs: config.jwksCacheMaxAgeMs,
  });
  const verifier = createAccessTokenVerifier({
    issuer: config.issuer,
    audience: config.audience,
    accessTokenType: config.accessTokenType,
    clockToleranceSeconds: config.clockToleranceSeconds,
    keys,
  });
  if (config.tokenCache === 'off') return verifier;
  return createTokenCache({
    verifier,
    keys,
    maxEntries: config.tokenCacheMaxEntries,
    // A token is not trusted longer than the key set that verified it would be used.
    maxAgeMs: Math.min(config.tokenCacheMaxAgeMs, config.jwksCacheMaxAgeMs),
  });
}

/**
 * What `GET /private` runs before its handler: the bearer token check with the configured
 * scope, reading a form body only to refuse a token sent there. Exported so the benchmark
 * measures exactly this.
 */
export function privateRouteAuth(
  config: Pick<ApiConfig, 'requiredScope'>,
  verifier: AccessTokenVerifier,
): RequestHandler {
  return requireAccessToken({
    verifier,
    requiredScopes: [config.requiredScope],
    readBody: express.urlencoded({ extended: false, limit: '16kb' }),
  });
}

/** Errors that body parsing raises for the client's own mistakes (they carry a 4xx `status`). */
function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true ? status : undefined;
}

/**
 * The API as an Express application (not listening; see `startApi`):
 * `GET /public`, `GET /private` (bearer access token with the required scope), `GET /healthz`.
 *
 * @example
 * ```ts
 * const app = createApi(loadApiConfig(process.env), { log: (entry) => entries.push(entry) });
 * ```
 */
export function createApi(config: ApiConfig, options: CreateApiOptions = {}): Express {
  const log = options.log ?? jsonLineLog;
  const verifier = options.verifier ?? createVerifierFromConfig(config);
  const app = express();
  app.disable('x-powered-by');

  app.use(logRequests(log));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/public', (_req, res) => {
    res.json({ message: 'Anyone can read this message.' });
  });
  app.get('/private', privateRouteAuth(config, verifier), (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ message: 'Only authenticated users can read this message.' });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'There is no such resource.' });
  });
  const handleError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const status = clientErrorStatus(err);
    if (status !== undefined) {
      res.status(status).json({ error: 'invalid_request', error_description: (err as Error).message });
      return;
    }
    // The details go to the log only; the client learns nothing about the internals.
    res.locals.internalError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    res.status(500).json({ error: 'server_error', error_description: 'Something went wrong on our side.' });
  };
  app.use(handleError);
  return app;
}
