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
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token` (RFC 9449 §7.1: `"DPoP" 1*SP token68`, the same characters) with
 * `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The schemes an access token may come in: RFC 6750's, and RFC 9449's for DPoP-bound tokens. */
export type AccessTokenScheme = 'Bearer' | 'DPoP';

/** The access token of a request, and the scheme it came in. */
export interface Credentials {
  scheme: AccessTokenScheme;
  token: string;
}

/** RFC 9110 §11.1: the auth-scheme is case-insensitive. */
function schemeOf(name: string): AccessTokenScheme | undefined {
  const lower = name.toLowerCase();
  return lower === 'bearer' ? 'Bearer' : lower === 'dpop' ? 'DPoP' : undefined;
}

/**
 * Extracts the one access token of a request, sent in the `Authorization` header with the
 * `Bearer` (RFC 6750 §2.1) or the `DPoP` scheme (RFC 9449 §7.1, same `token68` syntax), the
 * only way this API accepts.
 *
 * @throws {UnauthorizedError} the request carries no credentials of either scheme (none, or another scheme).
 * @throws {InvalidRequestError} the credentials are malformed, repeated, or sent more than one way.
 *
 * @example
 * ```ts
 * const { scheme, token } = extractCredentials({ authorization: ['DPoP eyJ…'], tokenInQuery: false, tokenInBody: false });
 * ```
 */
export function extractCredentials(source: BearerCredentialsSource): Credentials {
  if (source.authorization.length > 1) {
    throw new InvalidRequestError('The request has several Authorization headers; send exactly one.');
  }
  const header = source.authorization[0]?.trim();
  const [name = '', ...rest] = header === undefined ? [] : header.split(' ');
  const scheme = schemeOf(name);

  if (source.tokenInQuery || source.tokenInBody) {
    // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each
    // request." We also refuse the query (§2.3 SHOULD NOT be used: it ends up in logs) and
    // the form body, so a token is only ever read from one place.
    throw new InvalidRequestError(
      scheme !== undefined
        ? 'The access token was sent more than one way; send it only in the Authorization header.'
        : 'Send the access token in the Authorization header (Bearer scheme), not as an access_token parameter.',
    );
  }
  if (header === undefined) throw new UnauthorizedError();
  if (header === '') throw new InvalidRequestError('The Authorization header is empty.');
  // RFC 6750 §3.1: a request that used an unsupported authentication method gets a bare challenge.
  if (scheme === undefined) throw new UnauthorizedError();

  // `1*SP`: any number of spaces between the scheme and the token, then exactly one token.
  const what = scheme === 'Bearer' ? 'bearer token' : 'DPoP-bound access token';
  const parts = rest.filter((part) => part !== '');
  if (parts.length === 0) throw new InvalidRequestError(`The Authorization header has no ${what}.`);
  if (parts.length > 1) {
    throw new InvalidRequestError(`The Authorization header must carry exactly one ${what}.`);
  }
  const [token = ''] = parts;
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError(
      scheme === 'Bearer'
        ? 'The bearer token has characters outside the b64token syntax (RFC 6750, section 2.1).'
        : 'The DPoP-bound access token has characters outside the token68 syntax (RFC 9449, section 7.1).',
    );
  }
  return { scheme, token };
}
