import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { extractBearerToken } from './bearer.ts';
import { BearerError, InvalidRequestError } from './errors.ts';
import { requireScopes } from './scope.ts';
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
}

/** What the route handler finds in `res.locals.accessToken` once the token passed. */
export type AccessTokenLocals = { accessToken: VerifiedAccessToken };

/** What the request logger finds in `res.locals.authFailure`: a code and a reason, never a token. */
export interface AuthFailure {
  error: string;
  reason: string;
}

/** Every `Authorization` field of the request: `req.headers` silently keeps only the first one. */
function authorizationHeaders(req: Request): string[] {
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // The length first: no lower-cased copy of every other header's name.
    if (name.length === 13 && name.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  }
  return values;
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

/** The one place where a {@link BearerError} becomes an HTTP answer. */
function sendBearerError(res: Response, err: BearerError, realm: string): void {
  res.locals.authFailure = { error: err.code, reason: describeCause(err) } satisfies AuthFailure;
  res
    .status(err.status)
    .set({ ...err.headers(realm), 'Cache-Control': 'no-store' })
    .json(err.body());
}

/**
 * Express middleware: the route runs only for a request with one valid bearer access token
 * (RFC 6750 §2.1) granting every required scope. Otherwise it answers 400, 401, 403 or 503
 * as RFC 6750 §3 says, with the `WWW-Authenticate` challenge built by the error itself.
 *
 * @example
 * ```ts
 * app.get('/private', requireAccessToken({ verifier, requiredScopes: ['read:messages'] }), handler);
 * ```
 */
export function requireAccessToken(options: RequireAccessTokenOptions): RequestHandler {
  const { verifier, requiredScopes, realm = 'api', readBody } = options;
  const fail = (res: Response, next: NextFunction, err: unknown): void => {
    if (err instanceof BearerError) sendBearerError(res, err, realm);
    else next(err);
  };
  const accept = (res: Response, accessToken: VerifiedAccessToken): void => {
    requireScopes(accessToken.scopes, requiredScopes);
    (res.locals as AccessTokenLocals).accessToken = accessToken;
  };
  const check: RequestHandler = (req, res, next) => {
    let token: string;
    let remembered: VerifiedAccessToken | undefined;
    try {
      token = extractBearerToken({
        authorization: authorizationHeaders(req),
        tokenInQuery: req.url.includes('?') && hasAccessTokenParam(req.query),
        tokenInBody: hasAccessTokenParam(req.body),
      });
      // A token the verifier already accepted is answered in this same tick, with no
      // promise: the route runs as soon as it would for an unauthenticated one.
      remembered = verifier.recall?.(token);
      if (remembered !== undefined) accept(res, remembered);
    } catch (err) {
      fail(res, next, err);
      return;
    }
    if (remembered !== undefined) {
      next();
      return;
    }
    return verifier.verify(token).then(
      (accessToken) => {
        try {
          accept(res, accessToken);
        } catch (err) {
          fail(res, next, err);
          return;
        }
        next();
      },
      (err: unknown) => fail(res, next, err),
    );
  };
  if (readBody === undefined) return check;
  return (req, res, next) => {
    // Nothing to read (every GET a client should send): no parser call, no callback.
    if (!hasBody(req)) return check(req, res, next);
    return readBody(req, res, (err?: unknown) => {
      if (err === undefined || err === null) return check(req, res, next);
      const status = (err as { status?: unknown }).status;
      if (status === 400) {
        fail(
          res,
          next,
          new InvalidRequestError(`The request body cannot be read: ${(err as Error).message}`),
        );
      } else next(err);
    });
  };
}
