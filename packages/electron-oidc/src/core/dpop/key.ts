import * as client from 'openid-client';

/** What Web Crypto imports a key as. */
type ImportAlgorithm = Parameters<typeof crypto.subtle.importKey>[2];

/** A JWK (RFC 7517), as openid-client types it. */
type Jwk = client.JWK;

/**
 * JWS algorithms this library signs DPoP proofs with (RFC 9449 §4.2: an
 * asymmetric algorithm), each with the Web Crypto parameters its key is
 * imported with. Exactly the algorithms openid-client's `randomDPoPKeyPair`
 * generates keys for, without the post-quantum ones no provider lists yet.
 */
const KEY_IMPORT: Readonly<Record<string, ImportAlgorithm>> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521' },
  Ed25519: { name: 'Ed25519' },
  EdDSA: { name: 'Ed25519' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384' },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512' },
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
};

/** Whether this library can make DPoP keys for `alg`. */
export function isDPoPAlgorithm(alg: string): boolean {
  return Object.hasOwn(KEY_IMPORT, alg);
}

/** The members of a public JWK that its RFC 7638 §3.2 thumbprint covers, by key type. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** Members of a private JWK (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2) that the public key must not carry. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

/**
 * The JWK SHA-256 thumbprint (RFC 7638 §3): the hash of the required public
 * members in lexicographic order, no white space. It is what the provider
 * writes into `cnf.jkt` of a DPoP-bound token (RFC 9449 §6.1). `undefined`
 * for a key type or a member that is missing.
 */
export async function jwkThumbprint(jwk: Jwk): Promise<string | undefined> {
  const members = jwk.kty === undefined ? undefined : THUMBPRINT_MEMBERS[jwk.kty];
  if (members === undefined) return undefined;
  const required: Record<string, string> = {};
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== 'string' || value === '') return undefined;
    required[member] = value;
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(required)));
  // base64url without padding (RFC 7515 §2).
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** The key as the vault entry keeps it (see `StoredSession.dpop`). */
export interface StoredDPoPKey {
  /** The JWS algorithm of the proofs (RFC 9449 §4.2 `alg`). */
  readonly alg: string;
  /** The private key as a JWK (RFC 7517), public members included. */
  readonly jwk: Jwk;
  /** The JWK SHA-256 thumbprint (RFC 7638) of its public key, as written when the key was made. */
  readonly jkt: string;
}

/** Why a stored key cannot be used. */
export class DPoPKeyError extends Error {
  override readonly name = 'DPoPKeyError';
}

/**
 * Header rewrite for providers that list only the older `EdDSA` name
 * (RFC 8037 §3.1) of the algorithm oauth4webapi calls `Ed25519` (RFC 9864).
 */
function proofOptions(alg: string): client.ModifyAssertionOptions | undefined {
  if (alg !== 'EdDSA') return undefined;
  return {
    [client.modifyAssertion]: (header) => {
      if (header.alg === 'Ed25519') header.alg = 'EdDSA';
    },
  };
}

/**
 * One session's DPoP key pair (RFC 9449): made at sign-in, kept in the vault
 * entry with the refresh token it is bound to (RFC 9449 §5: a public client's
 * refresh token is bound to the key), and used for every proof of that
 * session through one openid-client handle, which also remembers the latest
 * `DPoP-Nonce` of each origin (RFC 9449 §8, §9).
 */
export class DPoPKey {
  readonly alg: string;
  /** The JWK SHA-256 thumbprint (RFC 7638) of the public key: the tokens' `cnf.jkt`. */
  readonly thumbprint: string;
  readonly #pair: client.CryptoKeyPair;
  readonly #jwk: Jwk;
  #handle: client.DPoPHandle | undefined;

  private constructor(alg: string, pair: client.CryptoKeyPair, jwk: Jwk, thumbprint: string) {
    this.alg = alg;
    this.#pair = pair;
    this.#jwk = jwk;
    this.thumbprint = thumbprint;
  }

  /** A new key pair for `alg` (see {@link isDPoPAlgorithm}). */
  static async generate(alg: string): Promise<DPoPKey> {
    // Extractable, so the private key can rest in the vault with the refresh token.
    const pair = await client.randomDPoPKeyPair(alg, { extractable: true });
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const thumbprint = await jwkThumbprint(jwk);
    if (thumbprint === undefined) throw new DPoPKeyError(`cannot compute the thumbprint of a new ${alg} key`);
    return new DPoPKey(alg, pair, jwk, thumbprint);
  }

  /**
   * The key an entry holds, checked: an algorithm this library uses, a
   * private key that imports (Web Crypto refuses a private part that does not
   * match the public one for EC and OKP keys), and a public key whose
   * thumbprint is the one written beside it. Rejects with a
   * {@link DPoPKeyError} whose message is safe to log (never the key).
   */
  static async restore(stored: StoredDPoPKey): Promise<DPoPKey> {
    const params = KEY_IMPORT[stored.alg];
    if (params === undefined || !Object.hasOwn(KEY_IMPORT, stored.alg)) {
      throw new DPoPKeyError(
        `the DPoP key's algorithm ${JSON.stringify(stored.alg)} is not one this library uses`,
      );
    }
    const thumbprint = await jwkThumbprint(stored.jwk);
    if (thumbprint === undefined || thumbprint !== stored.jkt) {
      throw new DPoPKeyError('the DPoP key does not match the thumbprint stored with it');
    }
    const publicJwk = Object.fromEntries(
      Object.entries(stored.jwk).filter(
        ([member]) => !PRIVATE_MEMBERS.includes(member) && member !== 'key_ops',
      ),
    ) as Jwk;
    let pair: client.CryptoKeyPair;
    try {
      pair = {
        privateKey: await crypto.subtle.importKey(
          'jwk',
          { ...stored.jwk, key_ops: ['sign'] },
          params,
          false,
          ['sign'],
        ),
        // openid-client puts the public key into every proof's header, so it must be exportable.
        publicKey: await crypto.subtle.importKey('jwk', { ...publicJwk, key_ops: ['verify'] }, params, true, [
          'verify',
        ]),
      };
    } catch (cause) {
      throw new DPoPKeyError('the stored DPoP key cannot be imported', { cause });
    }
    if (pair.privateKey.type !== 'private') throw new DPoPKeyError('the stored DPoP key has no private part');
    return new DPoPKey(stored.alg, pair, stored.jwk, thumbprint);
  }

  /** What the vault entry keeps. */
  get stored(): StoredDPoPKey {
    return { alg: this.alg, jwk: this.#jwk, jkt: this.thumbprint };
  }

  /**
   * openid-client's proof handle for this key, the same one for the whole
   * session so that the nonces it learnt are used again (RFC 9449 §8.2). The
   * configuration only lends it its clock skew.
   */
  handle(configuration: client.Configuration): client.DPoPHandle {
    this.#handle ??= client.getDPoPHandle(configuration, this.#pair, proofOptions(this.alg));
    return this.#handle;
  }
}
