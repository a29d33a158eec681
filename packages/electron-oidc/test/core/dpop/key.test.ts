import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { DPoPKey, DPoPKeyError, jwkThumbprint } from '../../../src/core/dpop/key.ts';

describe('the session’s DPoP key', () => {
  it.each(['ES256', 'ES384', 'Ed25519', 'EdDSA'])(
    'a %s key survives the round trip through the entry',
    async (alg) => {
      const key = await DPoPKey.generate(alg);
      const restored = await DPoPKey.restore(JSON.parse(JSON.stringify(key.stored)));
      expect(restored.thumbprint).toBe(key.thumbprint);
      expect(restored.alg).toBe(alg);
    },
  );

  it('the thumbprint is RFC 7638’s (as jose computes it)', async () => {
    for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = await exportJWK(publicKey);
      expect(await jwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
    }
  });

  it('a key that does not match its thumbprint is refused, with a message that never holds the key', async () => {
    const key = await DPoPKey.generate('ES256');
    const other = await DPoPKey.generate('ES256');
    const swapped = { ...key.stored, jwk: other.stored.jwk };
    const err = await DPoPKey.restore(swapped).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DPoPKeyError);
    expect((err as Error).message).toMatch(/does not match the thumbprint/);
    expect((err as Error).message).not.toContain(String(other.stored.jwk.d));
  });

  it('a private part that is not the public key’s is refused', async () => {
    const key = await DPoPKey.generate('ES256');
    const other = await DPoPKey.generate('ES256');
    await expect(
      DPoPKey.restore({ ...key.stored, jwk: { ...key.stored.jwk, d: other.stored.jwk.d } }),
    ).rejects.toThrow(/cannot be imported/);
  });

  it('an algorithm the library does not use, or a public key only, is refused', async () => {
    const key = await DPoPKey.generate('ES256');
    await expect(DPoPKey.restore({ ...key.stored, alg: 'HS256' })).rejects.toBeInstanceOf(DPoPKeyError);
    await expect(DPoPKey.restore({ ...key.stored, alg: 'toString' })).rejects.toBeInstanceOf(DPoPKeyError);
    const { d: _d, ...publicOnly } = key.stored.jwk;
    await expect(DPoPKey.restore({ ...key.stored, jwk: publicOnly })).rejects.toBeInstanceOf(DPoPKeyError);
  });
});
