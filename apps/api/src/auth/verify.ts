import { errors } from 'jose';
import type { FlattenedJWSInput, JWSHeaderParameters, JWTHeaderParameters, JWTPayload } from 'jose';
import { BearerError, InvalidTokenError } from './errors.ts';
import { createFastJwtVerify } from './fast-signature.ts';
import type { IssuerKeys } from './issuer-keys.ts';
import { grantedScopes } from './scope.ts';

/**
 * Asymmetric signature algorithms only. A resource server verifies with the issuer's public
 * keys, so an HMAC (`HS*`) token could only have been made with a secret we do not have, or
 * with the public key misused as a secret (key confusion); `none` is never accepted by jose.
 */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/**
 * The `typ` header the API insists on. `at+jwt` (RFC 9068 §4) keeps ID tokens and other JWTs
 * from the same issuer from passing as access tokens; `any` skips that check, for providers
 * that issue `typ: JWT` access tokens (the `aud` check still rejects their ID tokens whose
 * audience is the client alone, and the ID-token claim check those whose `aud` also names
 * the API).
 */
export type AccessTokenType = 'at+jwt' | 'any';

/** Every check a token must pass; none is optional. */
export interface AccessTokenVerifierOptions {
  /** Expected `iss`, compared exactly (RFC 9068 §4). */
  issuer: string;
  /** Expected `aud`: the API's resource identifier (RFC 9068 §4, RFC 8707). */
  audience: string;
  accessTokenType: AccessTokenType;
  /** Leeway for `exp` and `nbf`, for clocks that drift apart. */
  clockToleranceSeconds: number;
  /** Where the issuer's public keys come from. */
  keys: IssuerKeys;
}

/** A token that passed every check. */
export interface VerifiedAccessToken {
  header: JWTHeaderParameters;
  claims: JWTPayload;
  /** The scopes it grants, from `scope`, `scp` or `permissions`. */
  scopes: ReadonlySet<string>;
}

/**
 * Verifies access tokens. One method, so a later cache of verified tokens can wrap any
 * verifier without its callers noticing.
 */
export interface AccessTokenVerifier {
  /**
   * @throws {InvalidTokenError} the token fails a check (RFC 6750 §3.1 `invalid_token`).
   * @throws {IssuerUnavailableError} the issuer's keys cannot be fetched.
   */
  verify(token: string): Promise<VerifiedAccessToken>;
  /**
   * Optional, for a verifier that remembers: the result `verify` would give now for a token
   * it has already accepted, synchronously, or undefined (then call `verify`).
   */
  recall?(token: string): VerifiedAccessToken | undefined;
}

/**
 * Words for the client: what is wrong with the token, never the token itself. Printable
 * ASCII without `"` or `\`, as `error_description` requires (RFC 6750 §3).
 */
function describeFailure(err: errors.JOSEError): string {
  if (err instanceof errors.JWTExpired) return 'The access token has expired.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `The access token has no '${err.claim}' claim.`;
    if (err.reason === 'invalid') return `The access token's '${err.claim}' claim is malformed.`;
    switch (err.claim) {
      case 'nbf':
        return 'The access token is not valid yet.';
      case 'iss':
        return 'The access token was issued by another issuer.';
      case 'aud':
        return 'The access token is meant for another audience.';
      case 'typ':
        return 'The token is not an access token: its typ header must be at+jwt (RFC 9068, section 4).';
      default:
        return `The access token's '${err.claim}' claim is not acceptable.`;
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return 'The access token is not signed with an accepted asymmetric algorithm.';
  }
  if (err instanceof errors.JWKSNoMatchingKey) return "No key of the issuer matches the access token's kid.";
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return 'The access token does not name (kid) which of the issuer keys signed it.';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  return 'The access token is malformed.';
}

/** Header parameters that would make the token carry or point to its own key (RFC 8725 §3.10). */
const EMBEDDED_KEY_PARAMETERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * RFC 7515 §2 base64url for the signature: the URL-safe alphabet, no padding, no bits set past
 * the last byte. jose decodes leniently; the header and payload cannot be re-encoded anyway
 * (the signature covers them as sent), but the signature could, and a token has one spelling.
 */
function isCanonicalBase64url(part: string): boolean {
  if (!BASE64URL.test(part)) return false;
  const rest = part.length % 4;
  if (rest === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(part.charAt(part.length - 1));
  return rest === 2 ? (last & 0xf) === 0 : rest === 3 && (last & 0x3) === 0;
}

/**
 * Our header policy, applied by jose before it looks for a key (jose has by then refused an
 * `alg` outside the allowlist and any `crit` it does not understand): keys come from the
 * issuer's JWKS only, so a token naming or carrying one of its own is refused, however
 * signed; no `crit` at all (we understand no extension, `b64` included); one encoding of
 * the signature. Then the issuer's key, chosen by jose's remote key set.
 */
export function issuerKeyFor(
  keys: (header: JWSHeaderParameters, token: FlattenedJWSInput) => ReturnType<IssuerKeys>,
) {
  return (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    for (const parameter of EMBEDDED_KEY_PARAMETERS) {
      if (Object.hasOwn(header, parameter)) {
        throw new errors.JWSInvalid(
          `The "${parameter}" header parameter is refused: keys come from the issuer's JWKS only.`,
        );
      }
    }
    if (header.crit !== undefined) {
      throw new errors.JOSENotSupported('No "crit" (Critical) Header Parameter extension is supported.');
    }
    if (!isCanonicalBase64url(token.signature)) {
      throw new errors.JWSInvalid('The JWS signature is not strict base64url.');
    }
    return keys(header, token);
  };
}

/**
 * The options of jose's `jwtVerify` (and of its claim checks on the fast path): the allowlist,
 * `iss`, `aud`, the clock tolerance, `typ` and the claims RFC 9068 requires.
 */
export function accessTokenChecks(options: Omit<AccessTokenVerifierOptions, 'keys'>) {
  const { issuer, audience, accessTokenType, clockToleranceSeconds } = options;
  return {
    algorithms: [...ACCEPTED_ALGORITHMS] as string[],
    issuer,
    audience,
    clockTolerance: clockToleranceSeconds,
    // jose compares typ case-insensitively with the "application/" prefix optional, so both
    // `at+jwt` and `application/at+jwt` pass (RFC 9068 §4).
    ...(accessTokenType === 'at+jwt' ? { typ: 'at+jwt' } : {}),
    // Without `exp` a token would never expire; RFC 9068 §2.2 makes these REQUIRED.
    requiredClaims: ['exp', 'iat', 'sub'],
  };
}

/** Hashes that only an ID token carries (OIDC Core §3.1.3.6, §3.3.2.11; FAPI 1.0 §5.1 `s_hash`). */
const ID_TOKEN_HASH_CLAIMS = ['at_hash', 'c_hash', 's_hash'] as const;

/**
 * The claim that marks a token as an ID token, if any. The `typ` check does this job for
 * RFC 9068 tokens, but with `ACCESS_TOKEN_TYPE=any` an ID token whose `aud` also names the
 * API (Auth0 and others add it) would pass every other check. ID tokens carry hashes no
 * access token has, and a `nonce` (OIDC Core §2); Keycloak before 25 also put `nonce` in
 * its access tokens (keycloak/keycloak#26893), always next to a scope claim, which no ID
 * token has, so `nonce` counts only without one.
 */
function idTokenOnlyClaim(claims: JWTPayload): string | undefined {
  const hash = ID_TOKEN_HASH_CLAIMS.find((claim) => claims[claim] !== undefined);
  if (hash !== undefined) return hash;
  const hasScopeClaim = ['scope', 'scp', 'permissions'].some((claim) => claims[claim] !== undefined);
  return claims.nonce !== undefined && !hasScopeClaim ? 'nonce' : undefined;
}

/**
 * Creates the verifier: signature with the issuer's keys (asymmetric algorithms only),
 * `typ` (RFC 9068 §4), `iss`, `aud`, `exp`/`nbf` with a small clock tolerance, and no
 * claim that only ID tokens carry (see {@link idTokenOnlyClaim}), in both `typ` modes. No
 * framework here: the result is a value or one of the errors of `errors.ts`.
 *
 * @example
 * ```ts
 * const verifier = createAccessTokenVerifier({ issuer, audience, accessTokenType: 'at+jwt',
 *   clockToleranceSeconds: 30, keys: createIssuerKeys({ issuer, ... }) });
 * const { claims, scopes } = await verifier.verify(token);
 * ```
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const keys = issuerKeyFor(options.keys);
  // Built once: the same checks for every token.
  const checks = accessTokenChecks(options);
  // jose's jwtVerify, with node:crypto for the signature of the tokens the differential test
  // (test/auth/differential.test.ts) has proven it on, and jose's claim checks either way.
  const verifyJwt = createFastJwtVerify(keys, checks);
  return {
    async verify(token) {
      try {
        const { payload, protectedHeader } = await verifyJwt(token);
        const idTokenClaim = idTokenOnlyClaim(payload);
        if (idTokenClaim !== undefined) {
          throw new InvalidTokenError(
            `The token is an ID token, not an access token: it carries '${idTokenClaim}' (OpenID Connect Core, section 2).`,
          );
        }
        return { header: protectedHeader, claims: payload, scopes: grantedScopes(payload) };
      } catch (err) {
        // Our own errors (the issuer's keys are unavailable) pass through unchanged.
        if (err instanceof BearerError) throw err;
        if (err instanceof errors.JOSEError)
          throw new InvalidTokenError(describeFailure(err), { cause: err });
        // jose's TypeError: the issuer's key cannot serve this token's alg (an RSA key under
        // 2048 bits, RFC 8725 §3.5; the options are fixed above). No token can pass with it.
        if (err instanceof TypeError) {
          throw new InvalidTokenError("No key of the issuer matches the access token's kid.", { cause: err });
        }
        throw err;
      }
    },
  };
}
