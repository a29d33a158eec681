import { InvalidRequestError, UnauthorizedError } from './errors.ts';

/** What the request says about its credentials, read by the framework adapter. */
export interface BearerCredentialsSource {
  /** Every `Authorization` header field value, as received (Node keeps only the first one in `req.headers`). */
  authorization: readonly string[];
  /** Whether the query string has an `access_token` parameter (RFC 6750 §2.3). */
  tokenInQuery: boolean;
  /** Whether a form-encoded body has an `access_token` parameter (RFC 6750 §2.2). */
  tokenInBody: boolean;
}

/**
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token` with
 * `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Extracts the one bearer token of a request, sent in the `Authorization` header
 * (RFC 6750 §2.1), the only method this API accepts.
 *
 * @throws {UnauthorizedError} the request carries no bearer credentials (none, or another scheme).
 * @throws {InvalidRequestError} the credentials are malformed, repeated, or sent more than one way.
 *
 * @example
 * ```ts
 * const token = extractBearerToken({ authorization: ['Bearer eyJ…'], tokenInQuery: false, tokenInBody: false });
 * ```
 */
export function extractBearerToken(source: BearerCredentialsSource): string {
  if (source.authorization.length > 1) {
    throw new InvalidRequestError('The request has several Authorization headers; send exactly one.');
  }
  const header = source.authorization[0]?.trim();
  const [scheme = '', ...rest] = header === undefined ? [] : header.split(' ');
  // RFC 9110 §11.1: the auth-scheme is case-insensitive.
  const isBearer = scheme.toLowerCase() === 'bearer';

  if (source.tokenInQuery || source.tokenInBody) {
    // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each
    // request." We also refuse the query (§2.3 SHOULD NOT be used: it ends up in logs) and
    // the form body, so a token is only ever read from one place.
    throw new InvalidRequestError(
      isBearer
        ? 'The access token was sent more than one way; send it only in the Authorization header.'
        : 'Send the access token in the Authorization header (Bearer scheme), not as an access_token parameter.',
    );
  }
  if (header === undefined) throw new UnauthorizedError();
  if (header === '') throw new InvalidRequestError('The Authorization header is empty.');
  // RFC 6750 §3.1: a request that used an unsupported authentication method gets a bare challenge.
  if (!isBearer) throw new UnauthorizedError();

  // `1*SP`: any number of spaces between the scheme and the token, then exactly one token.
  const parts = rest.filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidRequestError('The Authorization header has no bearer token.');
  if (parts.length > 1) {
    throw new InvalidRequestError('The Authorization header must carry exactly one bearer token.');
  }
  const [token = ''] = parts;
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError(
      'The bearer token has characters outside the b64token syntax (RFC 6750, section 2.1).',
    );
  }
  return token;
}
