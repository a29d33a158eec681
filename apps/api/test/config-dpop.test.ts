// The DPoP and step-up settings (RFC 9449, RFC 9470): read from the environment, validated
// at start-up with messages that name the variable.
import { describe, expect, it } from 'vitest';
import { loadApiConfig, startApi } from '../src/index.ts';
import { problemsFor } from './support/config.ts';

describe('loadApiConfig: DPoP and step-up', () => {
  it('reads PUBLIC_URL, DPOP, DPOP_NONCE, STEP_UP_ACR and STEP_UP_MAX_AGE', () => {
    expect(
      loadApiConfig({
        PUBLIC_URL: 'https://example.com/api',
        DPOP: 'required',
        DPOP_NONCE: 'on',
        STEP_UP_ACR: 'urn:example:mfa',
        STEP_UP_MAX_AGE: '60',
      }),
    ).toMatchObject({
      publicUrl: 'https://example.com/api',
      dpop: 'required',
      dpopNonce: 'on',
      stepUpAcr: 'urn:example:mfa',
      stepUpMaxAgeSeconds: 60,
    });
    expect(loadApiConfig({}).publicUrl).toBeUndefined();
  });

  it.each([
    ['PUBLIC_URL', 'api.example.com', /is not an absolute URL/],
    ['PUBLIC_URL', 'ftp://api.example.com', /must be an http or https URL/],
    ['PUBLIC_URL', 'https://api.example.com/?x=1', /no query, fragment or user info/],
    ['PUBLIC_URL', 'https://user:pw@api.example.com', /no query, fragment or user info/],
    ['DPOP', 'on', /use allowed .* or required/],
    ['DPOP_NONCE', 'yes', /use off .* or on/],
    ['STEP_UP_ACR', 'a b', /one acr value/],
    ['STEP_UP_ACR', 'a"b', /one acr value/],
    ['STEP_UP_MAX_AGE', '5m', /is not a number of seconds/],
    ['STEP_UP_MAX_AGE', '99999999999', /from 0 to 31536000/],
  ])('names %s when it is %j', (variable, value, message) => {
    const problems = problemsFor({ [variable]: value });
    expect(problems.map((p) => p.variable)).toEqual([variable]);
    expect(problems[0]?.message).toMatch(message);
  });

  it('startApi names the property of a DPoP setting made in code', async () => {
    await expect(startApi({ port: 0, dpopProofWindowSeconds: 0 })).rejects.toThrow(
      /dpopProofWindowSeconds: "0" must be an integer from 1 to 3600/,
    );
    await expect(startApi({ port: 0, dpopReplayCacheMaxEntries: 1.5 })).rejects.toThrow(
      /dpopReplayCacheMaxEntries: "1.5" must be an integer/,
    );
  });
});
