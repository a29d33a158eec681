import { describe, expect, it } from 'vitest';
import { parseChallenges, tokenChallenges } from '../../src/core/www-authenticate.ts';
import { stepUpParameters, stepUpRequirement } from '../../src/core/step-up.ts';

describe('parseChallenges (RFC 9110 §11.6.1)', () => {
  it('reads a scheme with quoted and token auth-params, names lower-cased', () => {
    expect(parseChallenges('Bearer realm="api", ERROR=invalid_token, Max_Age=300')).toEqual([
      { scheme: 'Bearer', params: { realm: 'api', error: 'invalid_token', max_age: '300' } },
    ]);
  });

  it('undoes quoted-pair escapes and keeps commas, equals signs and spaces inside quotes', () => {
    expect(parseChallenges('DPoP error_description="a \\"b\\", c=d \\\\ e", algs="ES256 EdDSA"')).toEqual([
      { scheme: 'DPoP', params: { error_description: 'a "b", c=d \\ e', algs: 'ES256 EdDSA' } },
    ]);
  });

  it('splits several challenges in one header, including token68 and bare schemes', () => {
    expect(
      parseChallenges('Basic dXNlcjpwYXNz==, Negotiate, DPoP algs="ES256", Bearer realm="x" , error="e"'),
    ).toEqual([
      { scheme: 'Basic', params: {}, token68: 'dXNlcjpwYXNz==' },
      { scheme: 'Negotiate', params: {} },
      { scheme: 'DPoP', params: { algs: 'ES256' } },
      { scheme: 'Bearer', params: { realm: 'x', error: 'e' } },
    ]);
  });

  it('allows optional whitespace around "=" and empty list elements', () => {
    expect(parseChallenges(' , Bearer realm = "x",, error =e ,')).toEqual([
      { scheme: 'Bearer', params: { realm: 'x', error: 'e' } },
    ]);
  });

  it.each([
    ['an unterminated quoted string', 'Bearer error="insufficient_user_authentication'],
    ['a parameter without a value', 'Bearer realm="x", error='],
    ['a repeated parameter', 'Bearer error="a", error="b"'],
    ['a value of two tokens', 'Bearer error=a b'],
    ['text that is no scheme', '"Bearer" error="x"'],
  ])('yields nothing for %s, rather than a guess', (_name, header) => {
    expect(parseChallenges(header)).toEqual([]);
  });

  it('yields nothing for no header', () => {
    expect(parseChallenges(null)).toEqual([]);
    expect(parseChallenges('')).toEqual([]);
  });

  it('tokenChallenges keeps Bearer and DPoP only, in any case', () => {
    expect(
      tokenChallenges('Basic realm="x", bearer error="a", DPOP error="b"').map((c) => c.params.error),
    ).toEqual(['a', 'b']);
  });
});

const challenge = (header: string, status = 401) =>
  new Response(null, { status, headers: { 'www-authenticate': header } });

describe('stepUpRequirement (RFC 9470 §3)', () => {
  it('reads acr_values and max_age from a Bearer challenge', () => {
    expect(
      stepUpRequirement(
        challenge(
          'Bearer realm="api", error="insufficient_user_authentication", error_description="sign in again", acr_values="urn:a urn:b", max_age="300"',
        ),
      ),
    ).toEqual({ acrValues: ['urn:a', 'urn:b'], maxAge: 300 });
  });

  it('reads a DPoP challenge that follows another, with only max_age (unquoted)', () => {
    expect(
      stepUpRequirement(
        challenge('Basic realm="x", DPoP algs="ES256", error="insufficient_user_authentication", max_age=0'),
      ),
    ).toEqual({ acrValues: [], maxAge: 0 });
  });

  it.each([
    ['another error', 'Bearer error="invalid_token", acr_values="urn:a"'],
    ['another scheme', 'Basic error="insufficient_user_authentication", acr_values="urn:a"'],
    ['a malformed max_age', 'Bearer error="insufficient_user_authentication", max_age="-1"'],
    [
      'a control character in acr_values',
      'Bearer error="insufficient_user_authentication", acr_values="a\tb\u0001"',
    ],
    ['a malformed header', 'Bearer error="insufficient_user_authentication'],
  ])('is undefined for %s', (_name, header) => {
    expect(stepUpRequirement(challenge(header))).toBeUndefined();
  });

  it('is undefined for any status but 401', () => {
    expect(
      stepUpRequirement(challenge('Bearer error="insufficient_user_authentication"', 403)),
    ).toBeUndefined();
  });
});

describe('stepUpParameters', () => {
  it('asks for what the API named', () => {
    expect(stepUpParameters({ acrValues: ['urn:a', 'urn:b'], maxAge: 300 })).toEqual({
      acr_values: 'urn:a urn:b',
      max_age: '300',
    });
    expect(stepUpParameters({ acrValues: [], maxAge: 0 })).toEqual({ max_age: '0' });
  });

  it('asks for a new sign-in (prompt=login) when the API named nothing', () => {
    expect(stepUpParameters({ acrValues: [], maxAge: undefined })).toEqual({ prompt: 'login' });
  });
});
