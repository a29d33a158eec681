// verifyJwt (node:crypto) from the attacker's side, for what the API-level rejection suite
// (token-validation.test.ts, which runs through it) cannot reach: every algorithm family with
// its key type, header parameters that bring their own key, and non-canonical encodings.
import { constants, KeyObject, sign, webcrypto } from 'node:crypto';
import { errors } from 'jose';
import type { CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateIssuerKey } from '@electron-oidc/test-support';
import type { IssuerKey } from '@electron-oidc/test-support';
import { verifyJwt } from '../../src/auth/jwt.ts';
import type { JwtVerifyOptions } from '../../src/auth/jwt.ts';
import { ACCEPTED_ALGORITHMS } from '../../src/index.ts';

const ISSUER = 'https://issuer.test.example';
const AUDIENCE = 'https://api.test.example';
const OPTIONS: JwtVerifyOptions = {
  algorithms: ACCEPTED_ALGORITHMS,
  issuer: ISSUER,
  audience: AUDIENCE,
  clockTolerance: 30,
  typ: 'at+jwt',
  requiredClaims: ['exp', 'iat', 'sub'],
};
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now(), exp: now() + 300 });

/** A compact JWS signed with node:crypto, with any header. */
function signToken(
  key: SigningKey,
  header: Record<string, unknown> = {},
  payload: unknown = claims(),
): string {
  const input = `${b64({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })}.${b64(payload)}`;
  return `${input}.${signWith(key, input)}`;
}

const HASHES: Record<string, string | null> = {
  RS256: 'sha256',
  PS384: 'sha384',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
};

function signWith(key: SigningKey, input: string): string {
  const { keyObject } = key;
  const options = key.alg.startsWith('PS')
    ? { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }
    : key.alg.startsWith('ES')
      ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const }
      : { key: keyObject };
  return sign(HASHES[key.alg] ?? null, Buffer.from(input), options).toString('base64url');
}

const resolverFor = (key: CryptoKey) => async (): Promise<CryptoKey> => key;

/** An issuer key with its private half as a KeyObject, to sign with node:crypto. */
type SigningKey = IssuerKey & { keyObject: KeyObject };

async function keyFor(alg: string): Promise<SigningKey> {
  const key = await generateIssuerKey(alg);
  return { ...key, keyObject: KeyObject.from(key.privateKey) };
}

describe('verifyJwt', () => {
  for (const alg of ['RS256', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`accepts ${alg} signed with the matching key`, async () => {
      const key = await keyFor(alg);
      const { payload } = await verifyJwt(signToken(key), resolverFor(key.publicKey), OPTIONS);
      expect(payload.sub).toBe('user-1');
    });
  }

  it('refuses a key whose type does not match alg (an EC key for an RS256 header)', async () => {
    const rsa = await keyFor('RS256');
    const ec = await keyFor('ES256');
    await expect(verifyJwt(signToken(rsa), resolverFor(ec.publicKey), OPTIONS)).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    );
  });

  it('refuses an ES384 header with a P-256 key (the curve belongs to the alg)', async () => {
    const p256 = await keyFor('ES256');
    const token = signToken({ ...p256, alg: 'ES384' });
    await expect(verifyJwt(token, resolverFor(p256.publicKey), OPTIONS)).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    );
  });

  it('refuses an RSA key shorter than 2048 bits', async () => {
    // jose refuses to make one; WebCrypto does not.
    const { publicKey, privateKey } = (await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as unknown as { publicKey: CryptoKey; privateKey: CryptoKey };
    const key = {
      kid: 'short',
      alg: 'RS256',
      publicKey,
      privateKey,
      publicJwk: {},
      keyObject: KeyObject.from(privateKey),
    };
    await expect(verifyJwt(signToken(key), resolverFor(publicKey), OPTIONS)).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    );
  });

  it('refuses an RS256 signature under a PS256 header (the padding belongs to the alg)', async () => {
    const key = await keyFor('RS256');
    const token = signToken(key, { alg: 'PS256' });
    await expect(verifyJwt(token, resolverFor(key.publicKey), OPTIONS)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it('checks the allowlist before anything else (none, HS256, an unknown alg)', async () => {
    let resolved = 0;
    const keys = async () => {
      resolved += 1;
      return (await keyFor('RS256')).publicKey;
    };
    for (const alg of ['none', 'HS256', 'RS1', 'Ed25519']) {
      const token = `${b64({ alg, crit: ['x'], jku: 'https://evil.example' })}.${b64(claims())}.`;
      await expect(verifyJwt(token, keys, OPTIONS)).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    }
    expect(resolved).toBe(0);
  });

  it('refuses an alg the caller did not allow, even one this file knows', async () => {
    const key = await keyFor('ES256');
    await expect(
      verifyJwt(signToken(key), resolverFor(key.publicKey), { ...OPTIONS, algorithms: ['RS256'] }),
    ).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });

  for (const parameter of ['jku', 'x5u', 'jwk']) {
    it(`refuses a token that brings its own key (${parameter}), even a validly signed one`, async () => {
      const key = await keyFor('RS256');
      const token = signToken(key, {
        [parameter]: parameter === 'jwk' ? key.publicJwk : 'https://evil.example/k',
      });
      await expect(verifyJwt(token, resolverFor(key.publicKey), OPTIONS)).rejects.toBeInstanceOf(
        errors.JWSInvalid,
      );
    });
  }

  it('refuses any crit header, even b64', async () => {
    const key = await keyFor('RS256');
    const token = signToken(key, { crit: ['b64'], b64: true });
    await expect(verifyJwt(token, resolverFor(key.publicKey), OPTIONS)).rejects.toBeInstanceOf(
      errors.JOSENotSupported,
    );
  });

  it('refuses non-canonical base64url: padding, the base64 alphabet, stray bits', async () => {
    const key = await keyFor('RS256');
    const [header = '', payload = '', signature = ''] = signToken(key).split('.');
    const last = signature.at(-1) ?? 'A';
    // RSA-2048: 256 bytes, 342 characters, the last one carrying 4 unused bits.
    const strayBits = `${signature.slice(0, -1)}${last === 'A' ? 'B' : String.fromCharCode(last.charCodeAt(0) + 1)}`;
    for (const token of [
      `${header}.${payload}.${signature}==`,
      `${header}.${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(signature) ? '' : '+'}`,
      `${header}.${payload}.${strayBits}`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}~.${signature}`,
    ]) {
      await expect(verifyJwt(token, resolverFor(key.publicKey), OPTIONS)).rejects.toBeInstanceOf(
        errors.JWSInvalid,
      );
    }
  });

  it('refuses a claims set that is not a JSON object, once the signature holds', async () => {
    const key = await keyFor('RS256');
    for (const payload of [[claims()], 'text', null]) {
      await expect(
        verifyJwt(signToken(key, {}, payload), resolverFor(key.publicKey), OPTIONS),
      ).rejects.toBeInstanceOf(errors.JWTInvalid);
    }
  });

  it('accepts aud as an array naming the audience, refuses one that does not', async () => {
    const key = await keyFor('RS256');
    const accepted = signToken(key, {}, { ...claims(), aud: ['https://other.example', AUDIENCE] });
    await expect(verifyJwt(accepted, resolverFor(key.publicKey), OPTIONS)).resolves.toBeDefined();
    const refused = signToken(key, {}, { ...claims(), aud: ['https://other.example'] });
    await expect(verifyJwt(refused, resolverFor(key.publicKey), OPTIONS)).rejects.toMatchObject({
      claim: 'aud',
    });
  });

  it('refuses an iat that is not a number', async () => {
    const key = await keyFor('RS256');
    const token = signToken(key, {}, { ...claims(), iat: '2026-01-01' });
    await expect(verifyJwt(token, resolverFor(key.publicKey), OPTIONS)).rejects.toMatchObject({
      claim: 'iat',
      reason: 'invalid',
    });
  });
});
