// A DPoP client for tests: a key pair, its thumbprint (what the issuer puts in cnf.jkt), and
// proofs made with jose, as RFC 9449 §4.2 describes them unless a test changes them.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface ProofOptions {
  method?: string;
  /** `htu`. */
  url: string;
  /** The token `ath` hashes; none: no `ath`. */
  accessToken?: string;
  /** Seconds since the epoch. Default: now. */
  iat?: number;
  jti?: string;
  nonce?: string;
  /** Header parameters to add or replace; `undefined` removes one. */
  header?: Record<string, unknown>;
  /** Claims to add or replace; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Sign with this instead of the client's private key (the header stays as given). */
  signingKey?: CryptoKey | Uint8Array;
}

export interface DpopClient {
  alg: string;
  publicJwk: JWK;
  /** The private key as a JWK (to put where it must never be: the proof's header). */
  privateJwk: JWK;
  privateKey: CryptoKey;
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  jkt: string;
  proof(options: ProofOptions): Promise<string>;
}

/** `ath` of a token: base64url SHA-256 (RFC 9449 §4.2). */
export function ath(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

export async function createDpopClient(alg = 'ES256'): Promise<DpopClient> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  const jkt = await calculateJwkThumbprint(publicJwk);
  return {
    alg,
    publicJwk,
    privateJwk,
    privateKey,
    jkt,
    proof: async (options) => {
      const header = withoutUndefined({ typ: 'dpop+jwt', alg, jwk: publicJwk, ...options.header });
      const claims = withoutUndefined({
        jti: options.jti ?? randomUUID(),
        htm: options.method ?? 'GET',
        htu: options.url,
        iat: options.iat ?? Math.floor(Date.now() / 1000),
        ath: options.accessToken === undefined ? undefined : ath(options.accessToken),
        nonce: options.nonce,
        ...options.claims,
      });
      return new SignJWT(claims)
        .setProtectedHeader(header as { alg: string })
        .sign(options.signingKey ?? privateKey);
    },
  };
}

/** `Authorization: DPoP <token>` and one `DPoP` header per proof given. */
export function dpopHeaders(token: string, ...proofs: string[]): [string, string][] {
  return [['Authorization', `DPoP ${token}`], ...proofs.map((proof): [string, string] => ['DPoP', proof])];
}

/** The DPoP challenge this API builds (RFC 9449 §7.1). */
export const DPOP_ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512';

export function dpopChallenge(error: string, description: string, extra = ''): string {
  return `DPoP realm="api", error="${error}", error_description="${description}"${extra}, algs="${DPOP_ALGS}"`;
}
