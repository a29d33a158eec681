import { createPublicKey } from 'node:crypto';
import type { JsonWebKeyInput } from 'node:crypto';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';

/** JWK members that hold private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

type Jwk = Readonly<Record<string, unknown>>;

function describeKey(jwk: Jwk, index: number): string {
  return typeof jwk['kid'] === 'string' ? `kid "${jwk['kid']}"` : `key #${index + 1} (no kid)`;
}

/** The algorithms a public key can verify (RFC 7518 §3, RFC 8037 §3.1). */
function algorithmsOf(jwk: Jwk): readonly string[] {
  const kty = jwk['kty'];
  const crv = jwk['crv'];
  let algs: string[];
  if (kty === 'RSA') algs = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  else if (kty === 'EC' && crv === 'P-256') algs = ['ES256'];
  else if (kty === 'EC' && crv === 'P-384') algs = ['ES384'];
  else if (kty === 'EC' && crv === 'P-521') algs = ['ES512'];
  else if (kty === 'OKP' && crv === 'Ed25519') algs = ['EdDSA', 'Ed25519'];
  else algs = [];
  const alg = jwk['alg'];
  return typeof alg === 'string' ? algs.filter((a) => a === alg) : algs;
}

/** Whether the key is meant for signatures: `use` absent or "sig", `key_ops` absent or with "verify" (RFC 7517 §4.2, §4.3). */
function isForSignatures(jwk: Jwk): boolean {
  const use = jwk['use'];
  const ops = jwk['key_ops'];
  if (use !== undefined && use !== 'sig') return false;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return false;
  return true;
}

function parsesAsPublicKey(jwk: Jwk): boolean {
  const publicPart = Object.fromEntries(
    Object.entries(jwk).filter(([name]) => !(PRIVATE_MEMBERS as readonly string[]).includes(name)),
  );
  try {
    createPublicKey({ key: publicPart as JsonWebKeyInput['key'], format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Judges the provider's JWKS (RFC 7517 §5): it must hold at least one public,
 * asymmetric signing key, with a `kid`, for an algorithm the provider signs ID
 * tokens with, and must expose no private or secret key material.
 */
export function checkSigningKeys(
  url: string,
  jwks: Readonly<Record<string, unknown>>,
  idTokenAlgs: readonly string[],
): DoctorCheck {
  const keys = jwks['keys'];
  if (!Array.isArray(keys)) {
    return check(
      'signing-keys',
      'fail',
      `${url} has no "keys" array: it is not a JWK Set, so no ID token could be verified.`,
    );
  }
  const jwkList = keys.filter((k): k is Jwk => typeof k === 'object' && k !== null && !Array.isArray(k));

  const usable = jwkList.filter(
    (jwk) => isForSignatures(jwk) && algorithmsOf(jwk).length > 0 && parsesAsPublicKey(jwk),
  );
  const noneUsable = `holds no usable asymmetric signing key (${
    jwkList.length === 0
      ? 'it is empty'
      : `key types: ${jwkList.map((jwk) => String(jwk['kty'] ?? '?')).join(', ')}`
  }), so the app could not verify any ID token`;

  const exposed = jwkList
    .map((jwk, i) => ({ jwk, i, members: PRIVATE_MEMBERS.filter((m) => jwk[m] !== undefined) }))
    .filter((e) => e.members.length > 0);
  if (exposed.length > 0) {
    const list = exposed
      .map((e) =>
        e.jwk['kty'] === 'oct'
          ? `${describeKey(e.jwk, e.i)} is a symmetric key with its secret "k"`
          : `${describeKey(e.jwk, e.i)} has the private members ${e.members.join(', ')}`,
      )
      .join('; ');
    return check(
      'signing-keys',
      'fail',
      `${url} publishes secret key material (${list}): anyone can forge ID and access tokens for this provider; remove it and rotate those keys now.${usable.length === 0 ? ` It also ${noneUsable}.` : ''}`,
    );
  }
  if (usable.length === 0) return check('signing-keys', 'fail', `${url} ${noneUsable}.`);
  const matching = usable.filter((jwk) => algorithmsOf(jwk).some((alg) => idTokenAlgs.includes(alg)));
  if (matching.length === 0) {
    return check(
      'signing-keys',
      'fail',
      `${url} has no key for the ID token algorithms ${idTokenAlgs.join(', ') || '(none usable)'}: the app could not verify the ID token.`,
    );
  }
  const withKid = matching.filter((jwk) => typeof jwk['kid'] === 'string' && jwk['kid'] !== '');
  const weak = matching.filter(
    (jwk) =>
      jwk['kty'] === 'RSA' &&
      typeof jwk['n'] === 'string' &&
      Buffer.from(jwk['n'], 'base64url').length * 8 < 2048,
  );
  const summary = `${matching.length} usable signing key${matching.length === 1 ? '' : 's'} (${matching.map((jwk) => `${String(jwk['kty'])}${typeof jwk['kid'] === 'string' ? ` "${jwk['kid']}"` : ''}`).join(', ')})`;
  if (weak.length > 0) {
    return check(
      'signing-keys',
      'warn',
      `${url}: ${summary}; ${weak.length} RSA key(s) shorter than 2048 bits, which is too weak for signatures (NIST SP 800-131A).`,
    );
  }
  if (withKid.length < matching.length) {
    return check(
      'signing-keys',
      'warn',
      `${url}: ${summary}; some have no kid, so after a key rotation the app may not pick the right key and sign-ins may fail until it rereads the JWKS.`,
    );
  }
  return check('signing-keys', 'ok', `${url}: ${summary}, public only, each with a kid.`);
}
