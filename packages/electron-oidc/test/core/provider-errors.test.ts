import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.ts';
import { toAuthError } from '../../src/core/provider-errors.ts';

function responseBodyError(status: number, body: { error: string; error_description?: string }) {
  return new client.ResponseBodyError('server responded with an error in the response body', {
    cause: body,
    response: new Response(JSON.stringify(body), { status }),
  });
}

describe('toAuthError: telling "the provider said no" from "the network failed"', () => {
  it('a failed fetch (connection refused) is ERR_PROVIDER_UNREACHABLE', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect(toAuthError(err, 'refresh').code).toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('a timeout is ERR_PROVIDER_UNREACHABLE', () => {
    expect(
      toAuthError(
        new client.ClientError('operation timed out', { code: 'OAUTH_TIMEOUT' } as never),
        'refresh',
      ).code,
    ).toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('a 5xx OAuth error is ERR_PROVIDER_UNREACHABLE (try later), not a sign-out', () => {
    expect(toAuthError(responseBodyError(503, { error: 'temporarily_unavailable' }), 'refresh').code).toBe(
      'ERR_PROVIDER_UNREACHABLE',
    );
  });

  it('429 Too Many Requests (RFC 6585 §4), with or without an OAuth body, is ERR_PROVIDER_UNREACHABLE (try later)', () => {
    expect(toAuthError(responseBodyError(429, { error: 'slow_down' }), 'refresh').code).toBe(
      'ERR_PROVIDER_UNREACHABLE',
    );
    const plain = new client.ClientError('unexpected HTTP response status code', {
      cause: new Response('slow down', { status: 429 }),
    } as never);
    expect(toAuthError(plain, 'refresh').code).toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('a gateway’s 502 HTML page is ERR_PROVIDER_UNREACHABLE', () => {
    const html = new client.ClientError('unexpected HTTP response status code', {
      cause: new Response('<html>Bad Gateway</html>', { status: 502 }),
    } as never);
    expect(toAuthError(html, 'refresh').code).toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('invalid_grant on refresh is ERR_SESSION_EXPIRED carrying the OAuth error', () => {
    const mapped = toAuthError(
      responseBodyError(400, { error: 'invalid_grant', error_description: 'grant revoked' }),
      'refresh',
    );
    expect(mapped).toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'grant revoked',
    });
  });

  it('another OAuth refusal on refresh (e.g. invalid_client) is ERR_PROVIDER_ERROR, not a sign-out', () => {
    expect(toAuthError(responseBodyError(401, { error: 'invalid_client' }), 'refresh').code).toBe(
      'ERR_PROVIDER_ERROR',
    );
  });

  it('a misuse of openid-client (coded TypeError) is not mistaken for a network failure', () => {
    const misuse = Object.assign(new TypeError('"server" must be an instance of URL'), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    expect(toAuthError(misuse, 'discovery').code).not.toBe('ERR_PROVIDER_UNREACHABLE');
  });

  it('an AuthError passes through unchanged', () => {
    const original = new AuthError('ERR_SIGN_IN_TIMEOUT', 'late');
    expect(toAuthError(original, 'sign-in')).toBe(original);
  });
});

// What openid-client really throws, from a token endpoint that answers with a tampered ID token
// (or a malformed body): the translation goes by the error's code and what it carries, so
// these are produced by openid-client itself rather than built by hand.
describe('toAuthError: telling a refused ID token from the rest of an unexpected answer', () => {
  const ISSUER = 'https://idp.example.com';
  const CLIENT_ID = 'desktop-app';

  async function keyPair(kid: string) {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
  }

  /** Runs one refresh grant against a token endpoint answering `body`; resolves with what it threw. */
  async function refreshFailure(body: (key: Awaited<ReturnType<typeof keyPair>>) => Promise<object>) {
    const key = await keyPair('k1');
    const metadata = {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      id_token_signing_alg_values_supported: ['ES256'],
    };
    const configuration = new client.Configuration(metadata, CLIENT_ID, undefined, client.None());
    client.enableNonRepudiationChecks(configuration);
    configuration[client.customFetch] = async (url) =>
      url.endsWith('/jwks') ? Response.json({ keys: [key.jwk] }) : Response.json(await body(key));
    return client.refreshTokenGrant(configuration, 'rt').then(
      () => expect.fail('the grant was accepted'),
      (err: unknown) => err,
    );
  }

  const idToken =
    (claims: Record<string, unknown>, header: { alg?: string; kid?: string } = {}) =>
    async (key: Awaited<ReturnType<typeof keyPair>>, signWith?: Parameters<SignJWT['sign']>[0]) => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({
        iss: ISSUER,
        aud: CLIENT_ID,
        sub: 'alice',
        iat: now,
        exp: now + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header })
        .sign(signWith ?? key.privateKey);
      return { access_token: 'at', token_type: 'Bearer', id_token: jwt };
    };

  it.each<[string, (key: Awaited<ReturnType<typeof keyPair>>) => Promise<object>]>([
    ['for another audience (OAUTH_JWT_CLAIM_COMPARISON_FAILED)', idToken({ aud: 'another-client' })],
    ['from another issuer', idToken({ iss: 'https://attacker.example' })],
    ['expired (OAUTH_JWT_TIMESTAMP_CHECK_FAILED)', idToken({ exp: 1, iat: 0 })],
    ['signed with a kid the JWKS lacks (OAUTH_KEY_SELECTION_FAILED)', idToken({}, { kid: 'k-unknown' })],
    [
      'with a forged signature (a JWS check)',
      async (key) => idToken({})(key, (await keyPair('k1')).privateKey),
    ],
    ['without sub (a claims check)', idToken({ sub: undefined })],
    [
      'that is not a JWT (the compact JWS checked)',
      async () => ({ access_token: 'at', token_type: 'Bearer', id_token: 'not-a-jwt' }),
    ],
  ])('an ID token %s is ERR_ID_TOKEN_INVALID', async (_label, body) => {
    expect(toAuthError(await refreshFailure(body), 'refresh').code).toBe('ERR_ID_TOKEN_INVALID');
  });

  it('a malformed token response body (scope not a string) is ERR_RESPONSE_INVALID, not an ID token failure', async () => {
    const err = await refreshFailure(async () => ({ access_token: 'at', token_type: 'Bearer', scope: 42 }));
    expect(toAuthError(err, 'refresh').code).toBe('ERR_RESPONSE_INVALID');
  });

  it('an unsupported token_type is ERR_RESPONSE_INVALID, not an ID token failure', async () => {
    const err = await refreshFailure(async () => ({ access_token: 'at', token_type: 'mac' }));
    expect(toAuthError(err, 'refresh').code).toBe('ERR_RESPONSE_INVALID');
  });

  it('a discovery document naming another issuer is ERR_CONFIG naming the issuer option', async () => {
    const err = await client
      .discovery(new URL(ISSUER), CLIENT_ID, undefined, client.None(), {
        [client.customFetch]: async () => Response.json({ issuer: 'https://elsewhere.example' }),
      })
      .catch((e: unknown) => e);
    expect(toAuthError(err, 'discovery')).toMatchObject({ code: 'ERR_CONFIG', option: 'issuer' });
  });
});
