import express from 'express';
import type { ErrorRequestHandler, Express, RequestHandler, Response } from 'express';
import { createDpopCheck } from './auth/dpop/check.ts';
import type { DpopCheck } from './auth/dpop/check.ts';
import { createIssuerKeys } from './auth/issuer-keys.ts';
import { requireAccessToken } from './auth/require-access-token.ts';
import type { RequireAccessTokenOptions } from './auth/require-access-token.ts';
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
  /** The clock of the DPoP and step-up checks, in ms since the epoch (tests). Default: `Date.now`. */
  now?: () => number;
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

/** The API's URL as clients reach it: `publicUrl`, or the listen address. */
export function publicUrlOf(config: Pick<ApiConfig, 'publicUrl' | 'host' | 'port'>): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** The settings a route's token check reads. */
export type RouteAuthConfig = Pick<
  ApiConfig,
  | 'requiredScope'
  | 'publicUrl'
  | 'host'
  | 'port'
  | 'dpop'
  | 'dpopNonce'
  | 'dpopProofWindowSeconds'
  | 'dpopReplayCacheMaxEntries'
  | 'dpopNonceLifetimeSeconds'
>;

/** The DPoP check the config describes; one per API, shared by its routes (one replay cache). */
export function createDpopCheckFromConfig(config: RouteAuthConfig, now?: () => number): DpopCheck {
  return createDpopCheck({
    publicUrl: publicUrlOf(config),
    proofWindowSeconds: config.dpopProofWindowSeconds,
    replayCacheMaxEntries: config.dpopReplayCacheMaxEntries,
    nonce: config.dpopNonce,
    nonceLifetimeSeconds: config.dpopNonceLifetimeSeconds,
    ...(now === undefined ? {} : { now }),
  });
}

/**
 * What `GET /private` runs before its handler: the access token check (Bearer, or DPoP with
 * its proof) with the configured scope, reading a form body only to refuse a token sent
 * there. Exported so the benchmark measures exactly this. `extra` adds to the check (a
 * step-up policy, the clock).
 */
export function privateRouteAuth(
  config: RouteAuthConfig,
  verifier: AccessTokenVerifier,
  dpop: DpopCheck = createDpopCheckFromConfig(config),
  extra: Pick<RequireAccessTokenOptions, 'authentication' | 'now'> = {},
): RequestHandler {
  return requireAccessToken({
    verifier,
    requiredScopes: [config.requiredScope],
    readBody: express.urlencoded({ extended: false, limit: '16kb' }),
    dpop: { check: dpop, required: config.dpop === 'required' },
    ...extra,
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
const SENSITIVE_MESSAGE = fixedAnswer(
  200,
  { message: 'Only recently verified users can read this sensitive message.' },
  { 'cache-control': 'no-store' },
);
const NOT_FOUND = fixedAnswer(404, { error: 'not_found', error_description: 'There is no such resource.' });
const SERVER_ERROR = fixedAnswer(500, {
  error: 'server_error',
  error_description: 'Something went wrong on our side.',
});

/**
 * The API as an Express application (not listening; see `startApi`):
 * `GET /public`, `GET /private` (an access token with the required scope, Bearer or DPoP),
 * `GET /private/sensitive` (the same, from a sign-in of `stepUpAcr` at most `stepUpMaxAgeSeconds`
 * old, RFC 9470), `GET /healthz`.
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
  const dpop = createDpopCheckFromConfig(config, options.now);
  const stepUp = {
    authentication: {
      acr: config.stepUpAcr,
      maxAgeSeconds: config.stepUpMaxAgeSeconds,
      clockToleranceSeconds: config.clockToleranceSeconds,
    },
    ...(options.now === undefined ? {} : { now: options.now }),
  };
  app.get('/private', privateRouteAuth(config, verifier, dpop), (_req, res) => send(res, PRIVATE_MESSAGE));
  app.get('/private/sensitive', privateRouteAuth(config, verifier, dpop, stepUp), (_req, res) =>
    send(res, SENSITIVE_MESSAGE),
  );

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
