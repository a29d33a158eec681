import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.ts';
import { toAuthError } from '../../src/core/provider.ts';

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
