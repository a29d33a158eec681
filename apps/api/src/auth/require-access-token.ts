import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { extractCredentials } from './bearer.ts';
import type { Credentials } from './bearer.ts';
import { refuseBoundToken } from './dpop/check.ts';
import type { DpopCheck } from './dpop/check.ts';
import { BEARER_SCHEME, BearerError, InvalidRequestError, UnauthorizedError } from './errors.ts';
import type { ChallengeScheme } from './errors.ts';
import { requireScopes } from './scope.ts';
import { requireAuthentication } from './step-up.ts';
import type { AuthenticationPolicy } from './step-up.ts';
import type { AccessTokenVerifier, VerifiedAccessToken } from './verify.ts';

export interface RequireAccessTokenOptions {
  verifier: AccessTokenVerifier;
  /** Scopes the route needs; all of them must be granted. */
  requiredScopes: readonly string[];
  /** The `realm` of every challenge (RFC 6750 §3). */
  realm?: string;
  /**
   * Reads a form body, only so that a token sent there (RFC 6750 §2.2) is seen and refused.
   * A body it cannot decode is the client's malformed request: 400 `invalid_request` with
   * the challenge, like any other (RFC 6750 §3.1). Limits it enforces (413, 415) pass through.
   */
  readBody?: RequestHandler;
  /**
   * DPoP-bound tokens (RFC 9449): `Authorization: DPoP` with a proof checked by `check`; with
   * `required`, Bearer tokens are refused with a DPoP challenge. Without it, `DPoP` is an
   * unsupported scheme. Either way a bound token sent as Bearer is refused (§7.2).
   */
  dpop?: { check: DpopCheck; required: boolean };
  /** The sign-in the route needs (RFC 9470): checked after the scopes. */
  authentication?: AuthenticationPolicy;
  /** The clock for the sign-in's age, in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** What the route handler finds in `res.locals.accessToken` once the token passed. */
export type AccessTokenLocals = { accessToken: VerifiedAccessToken };

/** What the request logger finds in `res.locals.authFailure`: a code and a reason, never a token. */
export interface AuthFailure {
  error: string;
  reason: string;
}

/** The credential headers of a request: `req.headers` keeps only the first `Authorization` and joins `DPoP`s. */
interface CredentialHeaders {
  authorization: string[];
  dpop: string[];
}

function credentialHeaders(req: Request): CredentialHeaders {
  const found: CredentialHeaders = { authorization: [], dpop: [] };
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // The length first: no lower-cased copy of every other header's name.
    if (name.length === 13 && name.toLowerCase() === 'authorization') found.authorization.push(raw[i + 1]!);
    else if (name.length === 4 && name.toLowerCase() === 'dpop') found.dpop.push(raw[i + 1]!);
  }
  return found;
}

/** Whether the request has a body at all (what body parsers ask first, RFC 9112 §6.3). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

function hasAccessTokenParam(container: unknown): boolean {
  return typeof container === 'object' && container !== null && Object.hasOwn(container, 'access_token');
}

/** The reason chain of an error, for logs (`fetch failed: connect ECONNREFUSED …`). */
function describeCause(err: Error): string {
  const parts = [err.message];
  let cause: unknown = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth += 1) {
    parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.map((part) => part.replace(/\.$/, '')).join(': ');
}

/**
 * The scheme a refusal's challenge is written in: DPoP when the API demands it or the request
 * used it (RFC 9449 §7.1), Bearer otherwise (RFC 6750 §3). With both schemes allowed, a
 * request without DPoP gets the Bearer challenge only: DPoP clients learn of DPoP from the
 * provider's metadata, and Bearer clients keep the exact answers of RFC 6750.
 */
function challengeScheme(req: Request, dpop: RequireAccessTokenOptions['dpop']): ChallengeScheme {
  if (dpop === undefined) return BEARER_SCHEME;
  if (dpop.required) return dpop.check.scheme;
  const header = req.headers.authorization?.trimStart() ?? '';
  return header.slice(0, 5).toLowerCase() === 'dpop ' ? dpop.check.scheme : BEARER_SCHEME;
}

/** The one place where a {@link BearerError} becomes an HTTP answer. */
function sendBearerError(
  res: Response,
  err: BearerError,
  realm: string,
  scheme: ChallengeScheme,
  nonce?: string,
): void {
  res.locals.authFailure = { error: err.code, reason: describeCause(err) } satisfies AuthFailure;
  res
    .status(err.status)
    .set({
      ...(nonce === undefined || scheme === BEARER_SCHEME ? {} : { 'DPoP-Nonce': nonce }),
      ...err.headers(realm, scheme),
      'Cache-Control': 'no-store',
    })
    .json(err.body());
}

/** The request's credentials, refused when their scheme is not one the route takes. */
function readCredentials(
  req: Request,
  headers: CredentialHeaders,
  dpop: RequireAccessTokenOptions['dpop'],
): Credentials {
  const credentials = extractCredentials({
    authorization: headers.authorization,
    tokenInQuery: req.url.includes('?') && hasAccessTokenParam(req.query),
    tokenInBody: hasAccessTokenParam(req.body),
  });
  if (credentials.scheme === 'DPoP' && dpop === undefined) throw new UnauthorizedError();
  if (credentials.scheme === 'Bearer' && dpop?.required === true) {
    throw new UnauthorizedError(
      'This resource needs a DPoP-bound access token: send Authorization: DPoP with a DPoP proof (RFC 9449).',
    );
  }
  return credentials;
}

/**
 * Express middleware: the route runs only for a request with one valid access token
 * granting every required scope, sent as a Bearer token (RFC 6750 §2.1) if it is not bound
 * to a key, or with `Authorization: DPoP` and a valid proof of its key (RFC 9449 §7.1), and
 * for a sign-in as strong and recent as the route needs (RFC 9470). Otherwise it answers
 * 400, 401, 403 or 503 with the challenge built by the error itself, in the request's scheme.
 *
 * @example
 * ```ts
 * app.get('/private', requireAccessToken({ verifier, requiredScopes: ['read:messages'] }), handler);
 * ```
 */
export function requireAccessToken(options: RequireAccessTokenOptions): RequestHandler {
  const { verifier, requiredScopes, realm = 'api', readBody, dpop, authentication } = options;
  const now = options.now ?? Date.now;
  const fail = (req: Request, res: Response, next: NextFunction, err: unknown): void => {
    if (!(err instanceof BearerError)) return next(err);
    const scheme = challengeScheme(req, dpop);
    sendBearerError(
      res,
      err,
      realm,
      scheme,
      scheme === BEARER_SCHEME ? undefined : dpop?.check.currentNonce(),
    );
  };
  const accept = (res: Response, accessToken: VerifiedAccessToken): void => {
    requireScopes(accessToken.scopes, requiredScopes);
    if (authentication !== undefined) requireAuthentication(accessToken.claims, authentication, now() / 1000);
    (res.locals as AccessTokenLocals).accessToken = accessToken;
  };
  // Bearer: refused if bound to a key (RFC 9449 §7.2). DPoP: the proof, every request.
  const proceed =
    (req: Request, res: Response, next: NextFunction, credentials: Credentials, headers: CredentialHeaders) =>
    (accessToken: VerifiedAccessToken): Promise<void> | void => {
      if (credentials.scheme === 'Bearer' || dpop === undefined) {
        try {
          refuseBoundToken(accessToken);
          accept(res, accessToken);
        } catch (err) {
          return fail(req, res, next, err);
        }
        return next();
      }
      const request = { proofs: headers.dpop, method: req.method, path: `${req.baseUrl}${req.path}` };
      return dpop.check.check(request, credentials.token, accessToken).then(
        () => {
          try {
            accept(res, accessToken);
          } catch (err) {
            return fail(req, res, next, err);
          }
          const nonce = dpop.check.currentNonce();
          if (nonce !== undefined) res.setHeader('DPoP-Nonce', nonce);
          next();
        },
        (err: unknown) => fail(req, res, next, err),
      );
    };
  const check: RequestHandler = (req, res, next) => {
    const headers = credentialHeaders(req);
    let credentials: Credentials;
    let remembered: VerifiedAccessToken | undefined;
    try {
      credentials = readCredentials(req, headers, dpop);
      // A token the verifier already accepted is answered in this same tick, with no
      // promise: the route runs as soon as it would for an unauthenticated one.
      remembered = verifier.recall?.(credentials.token);
    } catch (err) {
      return fail(req, res, next, err);
    }
    const then = proceed(req, res, next, credentials, headers);
    if (remembered !== undefined) return then(remembered);
    return verifier.verify(credentials.token).then(then, (err: unknown) => fail(req, res, next, err));
  };
  return readBody === undefined ? check : readingBody(readBody, check, fail);
}

/**
 * `check` after `readBody` (only when the request has a body): a body that cannot be decoded
 * is the client's malformed request, answered by `fail` with `invalid_request`.
 */
function readingBody(
  readBody: RequestHandler,
  check: RequestHandler,
  fail: (req: Request, res: Response, next: NextFunction, err: unknown) => void,
): RequestHandler {
  return (req, res, next) => {
    // Nothing to read (every GET a client should send): no parser call, no callback.
    if (!hasBody(req)) return check(req, res, next);
    return readBody(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return check(req, res, next);
      const status = (err as { status?: unknown }).status;
      if (status === 400) {
        fail(
          req,
          res,
          next,
          new InvalidRequestError(`The request body cannot be read: ${(err as Error).message}`),
        );
      } else next(err);
    });
  };
}
