// Compact JWS signature and JWT claims verification with node:crypto, in place of jose's
// `jwtVerify`, which checks signatures with WebCrypto.
//
// Why hand-written: a token the API has not seen before pays for one signature check. jose 6
// checks it with WebCrypto (`crypto.subtle.verify`, an asynchronous job per token, on top of
// its own decoding); node:crypto's `crypto.verify` checks it synchronously with a `KeyObject`
// made once per issuer key. Measured side by side, interleaved, in one process, on distinct
// RS256 tokens with 50 checks in flight (2 cores, Node 24, 2026-11-23, a busy machine), CPU
// µs per token:
//
//                                          jose jwtVerify   verifyJwt (this file)
//   the check alone (`npm run bench`,        57.7, 49.6        27.5, 27.7      (two runs)
//     docs/benchmarks.md)
//   the first-seen path: token cache miss,   median 86.5       median 36.9   (6 rounds:
//     check, insert (40,000 tokens/round)    (71 to 103)       (33 to 49)     2.3x)
//
// End to end (HTTP, the server in its own process) the same change saves 24 to 28 µs of CPU
// per first-seen request; the rest of a request's cost is Express and the socket.
//
// What stays jose's: fetching the JWKS, caching it, refetching it on an unknown `kid` with a
// cooldown, choosing the key for the token's `alg` and `kid` (`kty`, `crv`, `use`, `key_ops`,
// the JWK's own `alg`) and importing it once per fetched key set (see `issuer-keys.ts`).
// This file turns that key into a `KeyObject` once (a `WeakMap` on jose's `CryptoKey`: a
// refetched key set brings new `CryptoKey`s, so a key that left the JWKS is never used
// again), then checks, in this order, refusing with jose's own error classes so that callers
// describe failures exactly as before:
//
// 1. three base64url parts, decoded strictly (RFC 7515 §2: no padding, no other alphabet,
//    no stray bits), each JSON part a UTF-8 object (RFC 7519 §7.2);
// 2. `alg` in the caller's allowlist before anything else (so `none` and `HS*` never reach a
//    key: RFC 8725 §3.1, §3.2);
// 3. no `crit` (RFC 7515 §4.1.11: we understand no extension) and no key the token brings
//    itself (`jku`, `x5u`, `jwk`: RFC 8725 §3.10); the key comes from the issuer's JWKS only;
// 4. the key's type matches the `alg` family (RSA of at least 2048 bits for RS/PS, EC on the
//    curve of ES256/384/512, Ed25519 for EdDSA), then the signature: PS with PSS padding and a
//    salt as long as the hash (RFC 7518 §3.5), ES in the IEEE P1363 `r || s` form (§3.4);
// 5. the claims, exactly as jose's `jwtVerify` checks them for the same options (`typ`
//    compared case-insensitively with `application/` optional, the required claims present,
//    `iss` exact, `aud` a string or an array naming the audience, `iat`/`nbf`/`exp` numbers,
//    `nbf` and `exp` with the clock tolerance).
import { KeyObject, constants, verify as verifySignature } from 'node:crypto';
import type { VerifyKeyObjectInput } from 'node:crypto';
import { errors } from 'jose';
import type {
  CryptoKey,
  FlattenedJWSInput,
  JWSHeaderParameters,
  JWTHeaderParameters,
  JWTPayload,
} from 'jose';

/** The checks of {@link verifyJwt}; the same names as jose's `JWTVerifyOptions`. */
export interface JwtVerifyOptions {
  /** The accepted `alg` values; only the asymmetric ones below exist here. */
  algorithms: readonly string[];
  /** Expected `iss`, compared exactly. */
  issuer: string;
  /** Expected in `aud` (a string equal to it, or an array holding it). */
  audience: string;
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockTolerance: number;
  /** Expected `typ` header, if any (case-insensitive, `application/` optional). */
  typ?: string;
  /** Claims that must be present. */
  requiredClaims?: readonly string[];
  /** The clock, in ms since the epoch (tests). Default: `Date.now`. */
  now?: () => number;
}

/** What jose's remote JWKS resolves: the issuer's key for a token's header. */
export type JwtKeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface VerifiedJwt {
  payload: JWTPayload;
  protectedHeader: JWTHeaderParameters;
}

interface Algorithm {
  /** Digest for `crypto.verify`; null for EdDSA (the curve fixes it). */
  hash: string | null;
  /** The `KeyObject` this `alg` needs. */
  keyType: 'rsa' | 'ec' | 'ed25519';
  /** For ES*: the OpenSSL name of the curve. */
  curve?: string;
  /** For PS*: PSS padding with a salt as long as the hash (RFC 7518 §3.5). */
  pssSaltLength?: number;
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
  PS256: { hash: 'sha256', keyType: 'rsa', pssSaltLength: 32 },
  PS384: { hash: 'sha384', keyType: 'rsa', pssSaltLength: 48 },
  PS512: { hash: 'sha512', keyType: 'rsa', pssSaltLength: 64 },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' },
  EdDSA: { hash: null, keyType: 'ed25519' },
};

/** RFC 8725 §3.5 and jose's own floor for RS/PS keys. */
const MIN_RSA_BITS = 2048;

/** Header parameters that would make the token carry or point to its own key (RFC 8725 §3.10). */
const EMBEDDED_KEY_PARAMETERS = ['jku', 'x5u', 'jwk'] as const;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RFC 7515 §2 base64url: the URL-safe alphabet, no padding, and no bits set past the last
 * byte (so each byte string has exactly one encoding). `Buffer.from(…, 'base64url')` alone
 * would skip any character it does not know.
 */
function decodeBase64url(part: string, what: string): Buffer {
  const rest = part.length % 4;
  const last = part.length === 0 ? 0 : BASE64URL_ALPHABET.indexOf(part[part.length - 1]!);
  if (
    !BASE64URL.test(part) ||
    rest === 1 ||
    (rest === 2 && (last & 0xf) !== 0) ||
    (rest === 3 && (last & 0x3) !== 0)
  ) {
    throw new errors.JWSInvalid(`The ${what} is not strict base64url.`);
  }
  return Buffer.from(part, 'base64url');
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(decodeBase64url(part, what)));
  } catch (cause) {
    throw new errors.JWSInvalid(`The ${what} is not a JSON object.`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new errors.JWSInvalid(`The ${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

/** A key as node:crypto checks with it, and what decides which `alg` it may serve. */
interface PreparedKey {
  keyObject: KeyObject;
  type: string | undefined;
  modulusLength: number | undefined;
  namedCurve: string | undefined;
}

// One per CryptoKey jose hands out; jose imports each JWK once per fetched key set.
const preparedKeys = new WeakMap<CryptoKey, PreparedKey>();

function prepareKey(key: CryptoKey): PreparedKey {
  let prepared = preparedKeys.get(key);
  if (prepared === undefined) {
    const keyObject = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
    const details = keyObject.asymmetricKeyDetails ?? {};
    prepared = {
      keyObject,
      type: keyObject.type === 'public' ? keyObject.asymmetricKeyType : undefined,
      modulusLength: details.modulusLength,
      namedCurve: details.namedCurve,
    };
    preparedKeys.set(key, prepared);
  }
  return prepared;
}

/** Whether `key` is of the type `algorithm` needs (the JWKS choice already filtered by `kty`/`crv`). */
function fitsAlgorithm(key: PreparedKey, algorithm: Algorithm): boolean {
  if (key.type !== algorithm.keyType) return false;
  if (algorithm.keyType === 'rsa') return (key.modulusLength ?? 0) >= MIN_RSA_BITS;
  if (algorithm.keyType === 'ec') return key.namedCurve === algorithm.curve;
  return true;
}

/** `typ` as jose compares it: lower case, `application/` added when there is no `/`. */
function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return typ.includes('/') ? lower : `application/${lower}`;
}

function numericDate(claims: JWTPayload, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value = claims[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new errors.JWTClaimValidationFailed(`"${claim}" claim must be a number`, claims, claim, 'invalid');
  }
  return value;
}

function unexpected(claims: JWTPayload, claim: string): never {
  throw new errors.JWTClaimValidationFailed(
    `unexpected "${claim}" claim value`,
    claims,
    claim,
    'check_failed',
  );
}

/** Step 5: the claims, in jose's order, with jose's errors. */
function validateClaims(header: JWTHeaderParameters, claims: JWTPayload, options: JwtVerifyOptions): void {
  const { typ, issuer, audience } = options;
  if (
    typ !== undefined &&
    (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== normalizeTyp(typ))
  ) {
    throw new errors.JWTClaimValidationFailed(
      'unexpected "typ" JWT header value',
      claims,
      'typ',
      'check_failed',
    );
  }
  for (const claim of new Set(['iss', 'aud', ...[...(options.requiredClaims ?? [])].reverse()])) {
    if (!Object.hasOwn(claims, claim)) {
      throw new errors.JWTClaimValidationFailed(
        `missing required "${claim}" claim`,
        claims,
        claim,
        'missing',
      );
    }
  }
  if (claims.iss !== issuer) unexpected(claims, 'iss');
  const { aud } = claims;
  if (!(typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience))) {
    unexpected(claims, 'aud');
  }
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  numericDate(claims, 'iat');
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > now + options.clockTolerance) {
    throw new errors.JWTClaimValidationFailed(
      '"nbf" claim timestamp check failed',
      claims,
      'nbf',
      'check_failed',
    );
  }
  const exp = numericDate(claims, 'exp');
  if (exp !== undefined && exp <= now - options.clockTolerance) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', claims, 'exp', 'check_failed');
  }
}

/**
 * Verifies a compact JWS JWT against the issuer's keys and checks its claims (see the top of
 * this file for every check and its order).
 *
 * @throws {errors.JOSEError} the token fails a check: `JOSEAlgNotAllowed`, `JWSInvalid`,
 *   `JOSENotSupported`, `JWKSNoMatchingKey`, `JWSSignatureVerificationFailed`, `JWTInvalid`,
 *   `JWTClaimValidationFailed`, `JWTExpired`.
 * @throws whatever `keys` throws (e.g. the issuer's JWKS is unavailable).
 *
 * @example
 * ```ts
 * const { payload, protectedHeader } = await verifyJwt(token, keys, {
 *   algorithms: ['RS256'], issuer, audience, clockTolerance: 30, typ: 'at+jwt', requiredClaims: ['exp'] });
 * ```
 */
export async function verifyJwt(
  token: string,
  keys: JwtKeyResolver,
  options: JwtVerifyOptions,
): Promise<VerifiedJwt> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new errors.JWSInvalid('A compact JWS has exactly three parts.');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;

  const header = decodeJsonObject(encodedHeader, 'JWS protected header') as JWTHeaderParameters;
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '') throw new errors.JWSInvalid('The JWS header has no "alg".');
  const algorithm = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
  if (algorithm === undefined || !options.algorithms.includes(alg)) {
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  }
  if (header.crit !== undefined) {
    throw new errors.JOSENotSupported('No "crit" (Critical) Header Parameter extension is supported.');
  }
  for (const parameter of EMBEDDED_KEY_PARAMETERS) {
    if (Object.hasOwn(header, parameter)) {
      throw new errors.JWSInvalid(
        `The "${parameter}" header parameter is refused: keys come from the issuer's JWKS only.`,
      );
    }
  }
  if (!BASE64URL.test(encodedPayload))
    throw new errors.JWSInvalid('The JWS payload is not strict base64url.');
  const signature = decodeBase64url(encodedSignature, 'JWS signature');

  const prepared = prepareKey(
    await keys(header, { protected: encodedHeader, payload: encodedPayload, signature: encodedSignature }),
  );
  if (!fitsAlgorithm(prepared, algorithm)) {
    throw new errors.JWKSNoMatchingKey(`The issuer's key for this token is not a usable ${alg} key.`);
  }
  const key = prepared.keyObject;
  let verifyKey: KeyObject | VerifyKeyObjectInput = key;
  if (algorithm.pssSaltLength !== undefined) {
    verifyKey = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength };
  } else if (algorithm.keyType === 'ec') {
    verifyKey = { key, dsaEncoding: 'ieee-p1363' };
  }
  let valid: boolean;
  try {
    const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'latin1');
    valid = verifySignature(algorithm.hash, signingInput, verifyKey, signature);
  } catch (cause) {
    throw new errors.JWSSignatureVerificationFailed(undefined, { cause });
  }
  if (!valid) throw new errors.JWSSignatureVerificationFailed();

  let payload: JWTPayload;
  try {
    payload = decodeJsonObject(encodedPayload, 'JWT claims set');
  } catch (cause) {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object', { cause });
  }
  validateClaims(header, payload, options);
  return { payload, protectedHeader: header };
}
