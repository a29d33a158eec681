import { hash } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { InvalidDpopProofError } from '../errors.ts';
import { DPOP_ALGORITHMS, ProofKeyError } from './proof-key.ts';
import type { ProofKey } from './proof-key.ts';

/** The request a proof must have been made for. */
export interface ProofTarget {
  /** The request's method, as received (`htm` must equal it, RFC 9449 §4.3 step 8). */
  method: string;
  /** The request's URI as clients reach it (the API's public URL, then the path), no query. */
  uri: string;
  /** The access token sent with the proof, which `ath` must hash (§4.3 step 11). */
  accessToken: string;
}

/** A proof that passed every check of its own; binding, freshness (iat, nonce) and replay are the caller's. */
export interface VerifiedProof {
  /** The RFC 7638 thumbprint of the key that signed it. */
  jkt: string;
  jti: string;
  /** Seconds since the epoch, by the client's clock (see `checkProofFreshness`). */
  iat: number;
  nonce: string | undefined;
}

export interface ProofVerifierOptions {
  /** Imports a proof's `jwk` (see `createProofKeys`). */
  keys: (alg: string, jwk: unknown) => Promise<ProofKey>;
  /** The clock, in ms since the epoch. */
  now: () => number;
}

/** A `jti` longer than this is refused: the replay cache keeps every `jti` for a while. */
const MAX_JTI_LENGTH = 256;
const ACCEPTED: ReadonlySet<string> = new Set(DPOP_ALGORITHMS);

/** `htu` and the request's URI compared without query and fragment, after normalisation (§4.3 step 9). */
function comparableUri(uri: string): string | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    return undefined;
  }
  // WHATWG parsing lower-cases scheme and host, drops the default port, resolves dot segments.
  return `${url.origin}${url.pathname}`;
}

function sameTarget(htu: unknown, uri: string): boolean {
  if (typeof htu !== 'string') return false;
  // What a client sends when it builds htu from the same URL: no parsing needed.
  if (htu === uri) return true;
  const comparable = comparableUri(htu);
  return comparable !== undefined && comparable === comparableUri(uri);
}

/**
 * `ath`: the base64url SHA-256 of the access token's ASCII (§4.2). The token is one the
 * verifier accepted (a compact JWS: base64url and dots), so its UTF-8 is its ASCII; the
 * one-shot `hash` makes no Hash object (half the CPU of `createHash`).
 */
function accessTokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Words for the client about a failure inside jose: never the proof itself. */
function describeJoseFailure(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed && err.reason === 'missing') {
    return `The DPoP proof has no '${err.claim}' claim.`;
  }
  if (err instanceof errors.JWTClaimValidationFailed)
    return `The DPoP proof's '${err.claim}' claim is not acceptable.`;
  if (err instanceof errors.JWTExpired) return 'The DPoP proof has expired.';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The DPoP proof signature is invalid.';
  if (err instanceof errors.JOSENotSupported || err instanceof TypeError) {
    return "The DPoP proof's jwk cannot verify signatures of its alg.";
  }
  return 'The DPoP proof is malformed.';
}

/** The header checks of §4.3 steps 2–7 that need no key; then the key, imported. */
async function proofKeyOf(
  proof: string,
  keys: ProofVerifierOptions['keys'],
): Promise<ProofKey & { alg: string }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (cause) {
    throw new InvalidDpopProofError('The DPoP proof is not a JWT.', { cause });
  }
  // Exactly the media type of §4.2, not jose's lenient comparison.
  if (header.typ !== 'dpop+jwt') {
    throw new InvalidDpopProofError("The DPoP proof's typ header must be dpop+jwt (RFC 9449, section 4.2).");
  }
  const { alg } = header;
  if (typeof alg !== 'string' || !ACCEPTED.has(alg)) {
    throw new InvalidDpopProofError("The DPoP proof's alg is not one of the asymmetric algorithms in algs.");
  }
  try {
    return { alg, ...(await keys(alg, header.jwk)) };
  } catch (cause) {
    if (cause instanceof ProofKeyError) throw new InvalidDpopProofError(cause.message, { cause });
    throw new InvalidDpopProofError(describeJoseFailure(cause), { cause });
  }
}

/** How many protected headers (one per client key, as a rule) `createHeaderMemo` remembers. */
const MAX_REMEMBERED_HEADERS = 1_000;

/** The protected header segment of a three-part compact JWS, or undefined for any other shape. */
function headerSegmentOf(proof: string): string | undefined {
  const first = proof.indexOf('.');
  const second = first === -1 ? -1 : proof.indexOf('.', first + 1);
  if (second === -1 || proof.includes('.', second + 1)) return undefined;
  return proof.slice(0, first);
}

/**
 * `proofKeyOf`, remembered by the proof's protected header segment: a client sends the same
 * header (`typ`, `alg`, `jwk`) with every proof, and what `proofKeyOf` finds is a function of
 * those very bytes, so a header seen and accepted before is not decoded and checked again.
 * The signature, made over the header too, is still verified on every proof with that key.
 * Only accepted headers are remembered, the last `MAX_REMEMBERED_HEADERS`.
 */
function createHeaderMemo(keys: ProofVerifierOptions['keys']): {
  recall(proof: string): (ProofKey & { alg: string }) | undefined;
  check(proof: string): Promise<ProofKey & { alg: string }>;
} {
  const accepted = new Map<string, ProofKey & { alg: string }>();
  return {
    recall(proof) {
      const segment = headerSegmentOf(proof);
      return segment === undefined ? undefined : accepted.get(segment);
    },
    async check(proof) {
      const found = await proofKeyOf(proof, keys);
      const segment = headerSegmentOf(proof);
      if (segment !== undefined) {
        if (accepted.size >= MAX_REMEMBERED_HEADERS) accepted.delete(accepted.keys().next().value!);
        accepted.set(segment, found);
      }
      return found;
    },
  };
}

/**
 * Creates the check of a DPoP proof on its own (RFC 9449 §4.3): one JWS with `typ`
 * `dpop+jwt`, an asymmetric `alg` from {@link DPOP_ALGORITHMS}, a public `jwk` that verifies
 * its signature (jose `jwtVerify`), `htm` and `htu` of this request, an `iat` (how far off
 * it may be is `checkProofFreshness`'s to say), a `jti`, and `ath` of the access token sent
 * with it.
 *
 * @example
 * ```ts
 * const verifyProof = createProofVerifier({ keys: createProofKeys({ maxEntries: 1000 }), now: Date.now });
 * const { jkt, jti } = await verifyProof(proof, { method: 'GET', uri: 'https://api.example/private', accessToken });
 * ```
 */
export function createProofVerifier(
  options: ProofVerifierOptions,
): (proof: string, target: ProofTarget) => Promise<VerifiedProof> {
  const { keys, now } = options;
  const headers = createHeaderMemo(keys);
  return async (proof, target) => {
    const { alg, key, jkt } = headers.recall(proof) ?? (await headers.check(proof));
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(proof, key, {
        algorithms: [alg],
        typ: 'dpop+jwt',
        requiredClaims: ['jti', 'htm', 'htu', 'iat'],
        currentDate: new Date(now()),
      }));
    } catch (cause) {
      throw new InvalidDpopProofError(describeJoseFailure(cause), { cause });
    }
    const { jti, htm, htu, iat, ath, nonce } = payload as Record<string, unknown>;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
      throw new InvalidDpopProofError(
        `The DPoP proof's jti must be a string of 1 to ${MAX_JTI_LENGTH} characters.`,
      );
    }
    if (htm !== target.method)
      throw new InvalidDpopProofError('The DPoP proof was made for another HTTP method (htm).');
    if (!sameTarget(htu, target.uri))
      throw new InvalidDpopProofError('The DPoP proof was made for another URL (htu).');
    if (ath === undefined)
      throw new InvalidDpopProofError('The DPoP proof has no ath claim (the hash of the access token).');
    if (ath !== accessTokenHash(target.accessToken)) {
      throw new InvalidDpopProofError('The DPoP proof was made for another access token (ath).');
    }
    if (nonce !== undefined && typeof nonce !== 'string')
      throw new InvalidDpopProofError("The DPoP proof's nonce is malformed.");
    return { jkt, jti, iat: iat as number, nonce };
  };
}
