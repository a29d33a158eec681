import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler, Response } from 'express';
import { createIssuerKeys } from './auth/issuer-keys.ts';
import { requireAccessToken } from './auth/require-access-token.ts';
import { createTokenCache } from './auth/token-cache.ts';
import { createAccessTokenVerifier } from './auth/verify.ts';
import type { AccessTokenVerifier } from './auth/verify.ts';
import type { ApiConfig } from './config.ts';
import { createLogger, logDestination, logRequests } from './logger.ts';
import type { Log } from './logger.ts';
import type { Logger } from 'pino';

export interface CreateApiOptions {
  /**
   * Where the per-request entries go. Default: `createLogger({ level: config.logLevel })`,
   * one JSON line per request on stdout, written asynchronously.
   */
  logger?: Logger;
  /** Instead of stdout, each entry goes to this function, parsed (tests; `() => {}` for none). */
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
    retryAfterSeconds: config.issuerRetryAfterSeconds,
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

/** A JSON answer whose body never changes, serialised once. */
interface FixedAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

function fixedAnswer(status: number, value: object, extraHeaders: Record<string, string> = {}): FixedAnswer {
  // A string, not a Buffer: Node then sends the head and the body in one write, not a writev.
  const body = JSON.stringify(value);
  return {
    status,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...extraHeaders,
    },
  };
}

/**
 * Writes a {@link FixedAnswer} as it is: no serialisation, no content-type parsing and no ETag
 * per request (`res.json` would do all three; an ETag is useless on a `no-store` answer and
 * on a body that never changes). Node leaves the body out of a HEAD answer itself.
 */
function send(res: Response, answer: FixedAnswer): void {
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

const HEALTHY = fixedAnswer(200, { status: 'ok' });
const PUBLIC_MESSAGE = fixedAnswer(200, { message: 'Anyone can read this message.' });
const PRIVATE_MESSAGE = fixedAnswer(
  200,
  { message: 'Only authenticated users can read this message.' },
  // For the token's holder only: no cache may keep it.
  { 'cache-control': 'no-store' },
);
const NOT_FOUND = fixedAnswer(404, { error: 'not_found', error_description: 'There is no such resource.' });
const SERVER_ERROR = fixedAnswer(500, {
  error: 'server_error',
  error_description: 'Something went wrong on our side.',
});

/**
 * The API as an Express application (not listening; see `startApi`):
 * `GET /public`, `GET /private` (bearer access token with the required scope), `GET /healthz`.
 *
 * @example
 * ```ts
 * const app = createApi(loadApiConfig(process.env), { logger: createLogger({ level: 'warn' }) });
 * ```
 */
export function createApi(config: ApiConfig, options: CreateApiOptions = {}): Express {
  const logger =
    options.logger ??
    createLogger({
      level: config.logLevel,
      ...(options.log === undefined ? {} : { destination: logDestination(options.log) }),
    });
  const verifier = options.verifier ?? createVerifierFromConfig(config);
  const app = express();
  app.disable('x-powered-by');
  // Every answer below is a fixed body or an error: none is worth a hash per request.
  app.disable('etag');

  // Not mounted at all when nothing would be written (LOG_LEVEL=silent, or above error).
  if (logger.isLevelEnabled('error')) app.use(logRequests(logger));

  app.get('/healthz', (_req, res) => send(res, HEALTHY));
  app.get('/public', (_req, res) => send(res, PUBLIC_MESSAGE));
  app.get('/private', privateRouteAuth(config, verifier), (_req, res) => send(res, PRIVATE_MESSAGE));

  app.use((_req, res) => send(res, NOT_FOUND));
  const handleError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const status = clientErrorStatus(err);
    if (status !== undefined) {
      res.status(status).json({ error: 'invalid_request', error_description: (err as Error).message });
      return;
    }
    // The details go to the log only; the client learns nothing about the internals.
    res.locals.internalError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    send(res, SERVER_ERROR);
  };
  app.use(handleError);
  return app;
}
