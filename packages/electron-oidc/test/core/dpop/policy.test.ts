import type * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { dpopAlgorithm, isDPoPTokenType } from '../../../src/core/dpop/policy.ts';

const ISSUER = 'https://idp.example.com';
const at = (algs?: string[]): client.ServerMetadata =>
  ({
    issuer: ISSUER,
    ...(algs === undefined ? {} : { dpop_signing_alg_values_supported: algs }),
  }) as client.ServerMetadata;

describe('which DPoP algorithm, if any (RFC 9449 §5.1 dpop_signing_alg_values_supported)', () => {
  it('auto: ES256 when listed, else Ed25519 or EdDSA, else the first listed the library can make keys for', () => {
    expect(dpopAlgorithm('auto', at(['Ed25519', 'EdDSA', 'ES256']))).toBe('ES256');
    expect(dpopAlgorithm('auto', at(['PS256', 'EdDSA']))).toBe('EdDSA');
    expect(dpopAlgorithm('auto', at(['Ed25519']))).toBe('Ed25519');
    expect(dpopAlgorithm('auto', at(['HS256', 'ES384']))).toBe('ES384');
  });

  it('auto: Bearer at a provider that lists none, or none the library can use', () => {
    expect(dpopAlgorithm('auto', at())).toBeUndefined();
    expect(dpopAlgorithm('auto', at([]))).toBeUndefined();
    expect(dpopAlgorithm('auto', at(['HS256']))).toBeUndefined();
  });

  it('required: a provider without DPoP is ERR_DPOP_UNSUPPORTED naming the option', () => {
    for (const metadata of [at(), at(['HS256'])]) {
      expect(() => dpopAlgorithm('required', metadata)).toThrow(
        expect.objectContaining({ code: 'ERR_DPOP_UNSUPPORTED', option: 'dpop' }),
      );
    }
    expect(dpopAlgorithm('required', at(['ES256']))).toBe('ES256');
  });

  it('off: never, whatever the provider lists', () => {
    expect(dpopAlgorithm('off', at(['ES256']))).toBeUndefined();
  });
});

describe('the token_type of an answer to a request with a proof (RFC 9449 §5)', () => {
  it('DPoP (any case) is bound', () => {
    expect(isDPoPTokenType('DPoP', 'auto', ISSUER)).toBe(true);
    expect(isDPoPTokenType('dpop', 'required', ISSUER)).toBe(true);
  });

  it('Bearer: taken as unbound with auto, refused with required', () => {
    expect(isDPoPTokenType('Bearer', 'auto', ISSUER)).toBe(false);
    expect(() => isDPoPTokenType('Bearer', 'required', ISSUER)).toThrow(
      expect.objectContaining({ code: 'ERR_DPOP_UNSUPPORTED' }),
    );
  });
});
