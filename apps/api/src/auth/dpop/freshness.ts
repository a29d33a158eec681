import { InvalidDpopProofError, UseDpopNonceError } from '../errors.ts';
import type { DpopNonces } from './nonce.ts';

export interface ProofFreshnessOptions {
  /** `on`: every proof must carry a nonce; `off`: only a proof whose `iat` is outside the window. */
  nonce: 'on' | 'off';
  /** A proof without a nonce is taken when its `iat` is at most this many seconds off the API's clock. */
  windowSeconds: number;
  nonces: DpopNonces;
  /** How many seconds a nonce is accepted at most (two of its slots). */
  nonceValiditySeconds: number;
}

/** What a proof says of when it was made. */
export interface ProofTime {
  /** Seconds since the epoch, by the client's clock. */
  iat: number;
  nonce: string | undefined;
}

/**
 * Decides whether a proof is recent enough (RFC 9449 §4.3 step 11) and returns the last moment,
 * in seconds since the epoch, at which the same proof would still be taken: the replay cache
 * must remember its `jti` until then (§11.1).
 *
 * Without a nonce, `iat` is all there is: within `windowSeconds` of the API's clock it is taken
 * (with nonces `on`, never); further off, the answer is `use_dpop_nonce` with a fresh nonce
 * (§9), not a refusal, because a client whose clock is wrong has no other way in.
 *
 * With a valid nonce, the nonce proves the proof was made after the API handed it out, at most
 * `nonceValiditySeconds` ago, by the API's own clock: "nonces created in this way yield the
 * same result even in the face of arbitrarily large clock skews" (§11.1). So `iat` only has to
 * be within that same span of the API's clock, not within the short window: a larger offset
 * says the client's clock is broken, not that the proof is old. The replay cache keeps the
 * proof until the nonce or that span runs out, whichever is first, so a proof taken late in
 * its life is still remembered for as long as it could be replayed.
 *
 * @throws {UseDpopNonceError} no nonce where one is needed, or one that is not (or no longer) ours.
 * @throws {InvalidDpopProofError} a valid nonce, but an `iat` further off than a nonce lives.
 */
export function checkProofFreshness(
  options: ProofFreshnessOptions,
  proof: ProofTime,
  nowSeconds: number,
): number {
  const { nonces } = options;
  const offset = nowSeconds - proof.iat;
  if (proof.nonce === undefined) {
    if (options.nonce === 'on') {
      throw new UseDpopNonceError(
        nonces.current(),
        'The DPoP proof must carry the nonce given in the DPoP-Nonce header.',
      );
    }
    if (Math.abs(offset) <= options.windowSeconds) return proof.iat + options.windowSeconds;
    throw new UseDpopNonceError(
      nonces.current(),
      "The DPoP proof's iat is too far from this server's clock; make a new proof that carries the nonce given in the DPoP-Nonce header.",
    );
  }
  const validUntil = nonces.validUntil(proof.nonce);
  if (validUntil === undefined) {
    throw new UseDpopNonceError(
      nonces.current(),
      'The DPoP proof carries a nonce that is not (or no longer) valid; use the one in the DPoP-Nonce header.',
    );
  }
  const span = Math.max(options.windowSeconds, options.nonceValiditySeconds);
  if (Math.abs(offset) > span) {
    throw new InvalidDpopProofError(
      `The DPoP proof's iat is more than ${span} seconds off this server's clock, even with a nonce; check the clock.`,
    );
  }
  return Math.min(proof.iat + span, validUntil);
}
