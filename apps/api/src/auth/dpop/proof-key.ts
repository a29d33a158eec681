import { calculateJwkThumbprint, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/**
 * Asymmetric signature algorithms a DPoP proof may use (RFC 9449 §4.3 step 5: never `none`,
 * never a MAC), announced as `algs` in every DPoP challenge (§7.1).
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
] as const;

/** Members that only a private (or symmetric) key has: a proof carrying one is refused (§4.3 step 7). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** The members that make each key type's public key, in RFC 7638 §3.2's order. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** A proof's public key, imported, with its RFC 7638 SHA-256 thumbprint (`cnf.jkt`'s value). */
export interface ProofKey {
  key: CryptoKey;
  jkt: string;
}

/** Why a `jwk` header cannot be used; the caller turns it into `invalid_dpop_proof`. */
export class ProofKeyError extends Error {
  override name = 'ProofKeyError';
}

/**
 * The public members of a proof's `jwk` header, checked: an object of a known asymmetric key
 * type, no private member, every public member a string, `use` and `alg` consistent if given.
 */
function publicMembersOf(jwk: unknown, alg: string): Record<string, string> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new ProofKeyError('The DPoP proof has no jwk header holding its public key.');
  }
  const record = jwk as Record<string, unknown>;
  const privateMember = PRIVATE_MEMBERS.find((member) => Object.hasOwn(record, member));
  if (privateMember !== undefined) {
    throw new ProofKeyError(
      `The DPoP proof's jwk holds a private key member ('${privateMember}'); send the public key only.`,
    );
  }
  const { kty } = record;
  const members =
    typeof kty === 'string' && Object.hasOwn(PUBLIC_MEMBERS, kty) ? PUBLIC_MEMBERS[kty] : undefined;
  if (members === undefined) {
    throw new ProofKeyError("The DPoP proof's jwk is not an EC, OKP or RSA public key.");
  }
  if (
    (record.use !== undefined && record.use !== 'sig') ||
    (record.alg !== undefined && record.alg !== alg)
  ) {
    throw new ProofKeyError("The DPoP proof's jwk is not meant for signatures with the proof's alg.");
  }
  const publicJwk: Record<string, string> = {};
  for (const member of members) {
    const value = record[member];
    if (typeof value !== 'string' || value === '') {
      throw new ProofKeyError(`The DPoP proof's jwk has no valid '${member}' member.`);
    }
    publicJwk[member] = value;
  }
  return publicJwk;
}

/**
 * Imports the public keys of DPoP proofs (jose `importJWK`) and computes their thumbprints
 * (jose `calculateJwkThumbprint`), remembering both for the last `maxEntries` keys: a client
 * signs every proof with the same key, so importing it and hashing it once per proof would
 * be wasted work. The entry is found by the `alg` and the public members themselves, so a
 * remembered key is the very key the header carries; the signature is still checked on
 * every proof, with that key.
 *
 * @example
 * ```ts
 * const proofKeys = createProofKeys({ maxEntries: 1_000 });
 * const { key, jkt } = await proofKeys(header.alg, header.jwk);
 * ```
 */
export function createProofKeys(options: {
  maxEntries: number;
}): (alg: string, jwk: unknown) => Promise<ProofKey> {
  // In insertion order, the most recently used last: the first is the one to forget.
  const known = new Map<string, Promise<ProofKey>>();
  let newest: string | undefined;
  return async (alg, jwk) => {
    const publicJwk = publicMembersOf(jwk, alg);
    const id = `${alg} ${JSON.stringify(publicJwk)}`;
    const remembered = known.get(id);
    if (remembered !== undefined) {
      if (id !== newest) {
        known.delete(id);
        known.set(id, remembered);
        newest = id;
      }
      return remembered;
    }
    const imported = (async (): Promise<ProofKey> => {
      const key = await importJWK(publicJwk as JWK, alg);
      // importJWK of these members yields a public key, or throws; a Uint8Array would be a secret.
      if (key instanceof Uint8Array || key.type !== 'public') {
        throw new ProofKeyError("The DPoP proof's jwk is not a public key.");
      }
      return { key, jkt: await calculateJwkThumbprint(publicJwk as JWK, 'sha256') };
    })();
    if (known.size >= options.maxEntries) known.delete(known.keys().next().value!);
    known.set(id, imported);
    newest = id;
    // A key that cannot be imported is not remembered: the next proof tries again (and fails).
    imported.catch(() => known.delete(id));
    return imported;
  };
}
