// A node:crypto fast path for a compact JWT's signature, with jose's own `UnsecuredJWT.decode`
// validating the claims. It exists because jose's `jwtVerify` verifies through WebCrypto, a
// job handed to the thread pool and a wake-up per token: about 60 µs of CPU one token at a
// time against a 22 µs RSA floor (docs/benchmarks.md). It decides only the tokens it has
// been proven on, by test/auth/differential.test.ts (generated tokens, each checked by this
// path and by jose's `jwtVerify` with the same options and key set, failing on any
// disagreement); every other token is left to `jwtVerify`, which then decides it alone.
import { constants, KeyObject, verify as verifySignature } from 'node:crypto';
import { errors, jwtVerify, UnsecuredJWT } from 'jose';
import type { JWTHeaderParameters, JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';

/** What this path needs to know of a JWS `alg`, and what jose expects of its `CryptoKey`. */
interface SignatureAlgorithm {
  /** The `CryptoKey`'s `algorithm` as jose checks it (`checkCryptoKey`, `checkModulusLength`). */
  name: string;
  hash?: string;
  namedCurve?: string;
  minRsaBits?: number;
  /**
   * node:crypto's `verify`: the digest, and the key options for padding and encoding, if any.
   * Without options the `KeyObject` goes alone: with an options object, node 24 takes twice as
   * long over an RSA-2048 verification (about 25 µs more, docs/benchmarks.md).
   */
  digest: string | null;
  keyOptions?: { padding: number; saltLength: number } | { dsaEncoding: 'ieee-p1363' };
}

const rsa = (bits: number): SignatureAlgorithm => ({
  name: 'RSASSA-PKCS1-v1_5',
  hash: `SHA-${bits}`,
  minRsaBits: 2048,
  digest: `sha${bits}`,
});
// RFC 7518 §3.5: the salt is as long as the hash, exactly (not "auto", which would accept any).
const pss = (bits: number): SignatureAlgorithm => ({
  ...rsa(bits),
  name: 'RSA-PSS',
  keyOptions: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 },
});
// RFC 7518 §3.4: R || S, each as long as the curve's order, not DER.
const ecdsa = (namedCurve: string, bits: number): SignatureAlgorithm => ({
  name: 'ECDSA',
  namedCurve,
  digest: `sha${bits}`,
  keyOptions: { dsaEncoding: 'ieee-p1363' },
});

/** The algorithms this path has been proven on (RFC 7518 §3.1, RFC 8037 §3.1). */
const SIGNATURE_ALGORITHMS = new Map<string, SignatureAlgorithm>([
  ['RS256', rsa(256)],
  ['RS384', rsa(384)],
  ['RS512', rsa(512)],
  ['PS256', pss(256)],
  ['PS384', pss(384)],
  ['PS512', pss(512)],
  ['ES256', ecdsa('P-256', 256)],
  ['ES384', ecdsa('P-384', 384)],
  ['ES512', ecdsa('P-521', 512)],
  ['EdDSA', { name: 'Ed25519', digest: null }],
]);

/**
 * Header parameters whose meaning jose decides before it asks for a key (`crit`, and `b64`
 * which only counts when `crit` names it, RFC 7797 §6): a token with one is left to jose.
 */
const LEFT_TO_JOSE = ['crit', 'b64'] as const;

/**
 * Three non-empty segments of the base64url alphabet, nothing else: no padding, no
 * whitespace, no other character. jose decodes more leniently (`atob`); those spellings are
 * left to it, so that here node's decoder and jose's agree byte for byte.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Longer tokens are left to jose: no issuer signs one, and a regular expression need not read it. */
const MAX_TOKEN_LENGTH = 16_384;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The three segments of a token this path can decode exactly as jose does, or undefined. */
function splitCompact(token: string): [string, string, string] | undefined {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return undefined;
  const parts = token.split('.') as [string, string, string];
  // A length of 4n + 1 is no base64 at all: jose refuses it.
  return parts.some((part) => part.length % 4 === 1) ? undefined : parts;
}

/** The protected header as jose parses it (strict UTF-8, a JSON object), or undefined. */
function parseHeader(segment: string): JWTHeaderParameters | undefined {
  let header: unknown;
  try {
    header = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  return header as JWTHeaderParameters;
}

// One KeyObject per CryptoKey (jose's key set keeps each imported key).
const keyObjects = new WeakMap<object, KeyObject>();

/**
 * The key as node:crypto needs it, if it is a public `CryptoKey` that jose would use for
 * `alg` as it is: the same algorithm, hash, curve and usage, and an RSA modulus of at least
 * 2048 bits (RFC 8725 §3.5). Any other key is left to jose, which refuses it.
 */
function keyObjectFor(key: unknown, algorithm: SignatureAlgorithm): KeyObject | undefined {
  if (!(key instanceof CryptoKey) || key.type !== 'public' || !key.usages.includes('verify'))
    return undefined;
  const actual = key.algorithm as {
    name: string;
    hash?: { name: string };
    namedCurve?: string;
    modulusLength?: number;
  };
  if (actual.name !== algorithm.name) return undefined;
  if (algorithm.hash !== undefined && actual.hash?.name !== algorithm.hash) return undefined;
  if (algorithm.namedCurve !== undefined && actual.namedCurve !== algorithm.namedCurve) return undefined;
  if (algorithm.minRsaBits !== undefined && !((actual.modulusLength ?? 0) >= algorithm.minRsaBits)) {
    return undefined;
  }
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/** The header `UnsecuredJWT.decode` gets: `alg: none`, and the token's `typ` for jose's `typ` check. */
function unsecuredHeader(typ: unknown): string {
  return Buffer.from(JSON.stringify({ alg: 'none', typ })).toString('base64url');
}

/** A token jose's checks accepted, as `jwtVerify` returns it. */
export interface VerifiedJwt {
  payload: JWTPayload;
  protectedHeader: JWTHeaderParameters;
  /** Which check decided: this fast path, or jose's `jwtVerify` for a token left to it. */
  decidedBy: 'node:crypto' | 'jose';
}

/** Left to jose, with the key already resolved when there is one (so it is not asked twice). */
export interface LeftToJose {
  key?: unknown;
}

export type FastOutcome = VerifiedJwt | LeftToJose;

/**
 * The fast path alone, for the differential test: the same header gate jose applies before it
 * asks for a key (a JSON object, an allowed `alg`, no `crit`), the same key resolver, the
 * signature with node:crypto's synchronous `verify`, then jose's claim checks. Refuses with
 * jose's own errors where it decides; otherwise returns what it leaves to jose.
 */
export function createFastSignatureCheck(
  keys: JWTVerifyGetKey,
  checks: JWTVerifyOptions & { algorithms: readonly string[] },
): (token: string) => Promise<FastOutcome> {
  const allowed = new Set(checks.algorithms.filter((alg) => SIGNATURE_ALGORITHMS.has(alg)));
  return (token) => checkFast(token, keys, checks, allowed);
}

async function checkFast(
  token: string,
  keys: JWTVerifyGetKey,
  checks: JWTVerifyOptions,
  allowed: ReadonlySet<string>,
): Promise<FastOutcome> {
  const parts = splitCompact(token);
  if (parts === undefined) return {};
  const [encodedHeader, encodedPayload, encodedSignature] = parts;
  const header = parseHeader(encodedHeader);
  if (header === undefined || typeof header.alg !== 'string' || !allowed.has(header.alg)) return {};
  if (LEFT_TO_JOSE.some((parameter) => Object.hasOwn(header, parameter))) return {};
  const algorithm = SIGNATURE_ALGORITHMS.get(header.alg)!;
  // The resolver jose would call, with what jose would pass: its refusals are the same.
  const key: unknown = await keys(header, {
    protected: encodedHeader,
    payload: encodedPayload,
    signature: encodedSignature,
  });
  const keyObject = keyObjectFor(key, algorithm);
  if (keyObject === undefined) return { key };
  const signingInput = Buffer.from(
    token.slice(0, encodedHeader.length + 1 + encodedPayload.length),
    'latin1',
  );
  let valid: boolean;
  try {
    valid = verifySignature(
      algorithm.digest,
      signingInput,
      algorithm.keyOptions === undefined ? keyObject : { key: keyObject, ...algorithm.keyOptions },
      Buffer.from(encodedSignature, 'base64url'),
    );
  } catch (cause) {
    throw new errors.JWSSignatureVerificationFailed(undefined, { cause });
  }
  if (!valid) throw new errors.JWSSignatureVerificationFailed();
  // jose's claim checks, not a copy: the same options jwtVerify gets, the token's `typ`.
  const { payload } = UnsecuredJWT.decode(`${unsecuredHeader(header.typ)}.${encodedPayload}.`, checks);
  return { payload, protectedHeader: header, decidedBy: 'node:crypto' };
}

/**
 * Creates `verify(token)`: what jose's `jwtVerify(token, keys, checks)` would return or
 * throw, taking the fast path for the tokens it has been proven on (the algorithms of
 * {@link SIGNATURE_ALGORITHMS} that `checks.algorithms` allows, with a public `CryptoKey`
 * from `keys`, in the strict spelling) and jose's `jwtVerify` for every other.
 *
 * @example
 * ```ts
 * const verify = createFastJwtVerify(keys, { algorithms: ['RS256'], issuer, audience });
 * const { payload, protectedHeader } = await verify(token);
 * ```
 */
export function createFastJwtVerify(
  keys: JWTVerifyGetKey,
  checks: JWTVerifyOptions & { algorithms: readonly string[] },
): (token: string) => Promise<VerifiedJwt> {
  const checkSignatureFast = createFastSignatureCheck(keys, checks);
  return async (token) => {
    const outcome = await checkSignatureFast(token);
    if ('decidedBy' in outcome) return outcome;
    const key = 'key' in outcome ? (outcome.key as Parameters<typeof jwtVerify>[1]) : keys;
    const { payload, protectedHeader } = await jwtVerify(token, key, checks);
    return { payload, protectedHeader, decidedBy: 'jose' };
  };
}
