// The access-token verifier (jose's jwtVerify with our header policy) from the attacker's side,
// for what the API-level rejection suite (token-validation.test.ts) cannot reach: every
// algorithm family with its key type, keys that cannot serve the token's alg, header
// parameters that bring their own key, and non-canonical encodings.
import { constants, KeyObject, sign, webcrypto } from 'node:crypto';
import type { CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateIssuerKey } from '@electron-oidc/test-support';
import type { IssuerKey } from '@electron-oidc/test-support';
import { createAccessTokenVerifier, InvalidTokenError } from '../../src/index.ts';
import type { IssuerKeys } from '../../src/index.ts';

const ISSUER = 'https://issuer.test.example';
const AUDIENCE = 'https://api.test.example';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', iat: now(), exp: now() + 300 });

/** An issuer key with its private half as a KeyObject, to sign with node:crypto. */
type SigningKey = IssuerKey & { keyObject: KeyObject };

async function keyFor(alg: string): Promise<SigningKey> {
  const key = await generateIssuerKey(alg);
  return { ...key, keyObject: KeyObject.from(key.privateKey) };
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

/** A compact JWS signed with node:crypto, with any header. */
function signToken(
  key: SigningKey,
  header: Record<string, unknown> = {},
  payload: unknown = claims(),
): string {
  const input = `${b64({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })}.${b64(payload)}`;
  return `${input}.${signWith(key, input)}`;
}

/** The verifier with a key source that always answers `key` (and counts how often it was asked). */
function verifierWith(key: CryptoKey | (() => Promise<CryptoKey>)) {
  const asked = { count: 0 };
  const resolve = async () => {
    asked.count += 1;
    return typeof key === 'function' ? key() : key;
  };
  const keys: IssuerKeys = Object.assign(resolve, { onKeysRemoved: () => () => {}, isFresh: () => true });
  const verifier = createAccessTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    accessTokenType: 'at+jwt',
    clockToleranceSeconds: 30,
    keys,
  });
  return { verify: (token: string) => verifier.verify(token), asked };
}

async function expectRefused(promise: Promise<unknown>, description?: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  if (description !== undefined) expect((err as Error).message).toBe(description);
}

describe('createAccessTokenVerifier', () => {
  for (const alg of ['RS256', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`accepts ${alg} signed with the matching key`, async () => {
      const key = await keyFor(alg);
      const { claims: verified } = await verifierWith(key.publicKey).verify(signToken(key));
      expect(verified.sub).toBe('user-1');
    });
  }

  it('refuses a key whose type does not match alg (an EC key for an RS256 header)', async () => {
    const rsa = await keyFor('RS256');
    const ec = await keyFor('ES256');
    await expectRefused(verifierWith(ec.publicKey).verify(signToken(rsa)));
  });

  it('refuses an ES384 header with a P-256 key (the curve belongs to the alg)', async () => {
    const p256 = await keyFor('ES256');
    await expectRefused(verifierWith(p256.publicKey).verify(signToken({ ...p256, alg: 'ES384' })));
  });

  it('refuses an RSA key shorter than 2048 bits, with a 401 rather than a crash', async () => {
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
    await expectRefused(
      verifierWith(publicKey).verify(signToken(key)),
      "No key of the issuer matches the access token's kid.",
    );
  });

  it('refuses an RS256 signature under a PS256 header (the padding belongs to the alg)', async () => {
    const key = await keyFor('RS256');
    await expectRefused(verifierWith(key.publicKey).verify(signToken(key, { alg: 'PS256' })));
  });

  it('refuses none, HS256 and unknown algs without asking for a key', async () => {
    const key = await keyFor('RS256');
    const { verify, asked } = verifierWith(key.publicKey);
    for (const alg of ['none', 'HS256', 'RS1', 'Ed25519']) {
      await expectRefused(
        verify(`${b64({ alg, typ: 'at+jwt' })}.${b64(claims())}.`),
        'The access token is not signed with an accepted asymmetric algorithm.',
      );
      await expectRefused(
        verify(`${b64({ alg, crit: ['x'], jku: 'https://evil.example' })}.${b64(claims())}.`),
      );
    }
    expect(asked.count).toBe(0);
  });

  for (const parameter of ['jku', 'x5u', 'jwk', 'x5c']) {
    it(`refuses a token that brings its own key (${parameter}), even a validly signed one`, async () => {
      const key = await keyFor('RS256');
      const value = { jwk: key.publicJwk, x5c: ['MIIB'] }[parameter] ?? 'https://evil.example/k';
      const { verify, asked } = verifierWith(key.publicKey);
      await expectRefused(verify(signToken(key, { [parameter]: value })), 'The access token is malformed.');
      expect(asked.count).toBe(0);
    });
  }

  it('refuses any crit header, even b64', async () => {
    const key = await keyFor('RS256');
    await expectRefused(verifierWith(key.publicKey).verify(signToken(key, { crit: ['b64'], b64: true })));
  });

  it('refuses non-canonical base64url: padding, the base64 alphabet, stray bits', async () => {
    const key = await keyFor('RS256');
    const { verify } = verifierWith(key.publicKey);
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
      await expectRefused(verify(token));
    }
    await expect(verify(`${header}.${payload}.${signature}`)).resolves.toBeDefined();
  });

  it('refuses a claims set that is not a JSON object, once the signature holds', async () => {
    const key = await keyFor('RS256');
    for (const payload of [[claims()], 'text', null]) {
      await expectRefused(
        verifierWith(key.publicKey).verify(signToken(key, {}, payload)),
        'The access token is malformed.',
      );
    }
  });

  it('accepts aud as an array naming the audience, refuses one that does not', async () => {
    const key = await keyFor('RS256');
    const { verify } = verifierWith(key.publicKey);
    await expect(
      verify(signToken(key, {}, { ...claims(), aud: ['https://other.example', AUDIENCE] })),
    ).resolves.toBeDefined();
    await expectRefused(
      verify(signToken(key, {}, { ...claims(), aud: ['https://other.example'] })),
      'The access token is meant for another audience.',
    );
  });

  it('refuses an iat that is not a number', async () => {
    const key = await keyFor('RS256');
    await expectRefused(
      verifierWith(key.publicKey).verify(signToken(key, {}, { ...claims(), iat: '2026-01-01' })),
      "The access token's 'iat' claim is malformed.",
    );
  });
});
