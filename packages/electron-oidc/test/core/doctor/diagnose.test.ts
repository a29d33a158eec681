import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../../src/core/config.ts';
import { diagnoseProvider } from '../../../src/core/doctor/index.ts';
import { closedPort, html, json, redirectBack } from './fake-provider.ts';
import { failures, find, useFakeProvider } from './harness.ts';

const { diagnose, provider } = useFakeProvider();

describe('a conformant provider', () => {
  it('passes every check', async () => {
    const report = await diagnose({});
    expect(report.checks.map((c) => [c.id, c.verdict])).toEqual(
      [
        'discovery',
        'issuer',
        'endpoints',
        'code-flow',
        'pkce',
        'client-authentication',
        'refresh-tokens',
        'offline-access',
        'iss-parameter',
        'end-session',
        'revocation',
        'signing-algorithms',
        'signing-keys',
        'authorization-request',
      ].map((id) => [id, 'ok']),
    );
    expect(report.passed).toBe(true);
  });

  it('sends the authorization request a sign-in sends: PKCE S256, state, nonce, a loopback redirect, the scopes and the resource', async () => {
    await diagnose({});
    const [params] = provider().authorizationRequests;
    expect(params?.get('client_id')).toBe('desktop-app');
    expect(params?.get('response_type')).toBe('code');
    expect(params?.get('code_challenge_method')).toBe('S256');
    expect(params?.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params?.get('state')).toMatch(/^[\w-]{16,}$/);
    expect(params?.get('nonce')).toMatch(/^[\w-]{16,}$/);
    expect(params?.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(params?.get('scope')).toBe('openid profile email offline_access read:messages');
    expect(params?.get('resource')).toBe('https://api.example.com');
  });

  it('uses the configured redirect port and sends the audience parameter instead of resource when so configured', async () => {
    await diagnose(
      {},
      {
        redirectPort: 53682,
        sendResourceIndicator: false,
        authorizationParams: { audience: 'https://api.example.com' },
      },
    );
    const [params] = provider().authorizationRequests;
    expect(params?.get('redirect_uri')).toBe('http://127.0.0.1:53682/callback');
    expect(params?.has('resource')).toBe(false);
    expect(params?.get('audience')).toBe('https://api.example.com');
  });

  it('tests client authentication with a made-up code, sending no secret for a public client', async () => {
    await diagnose({});
    const body = provider().tokenRequests.find((b) => b.get('grant_type') === 'authorization_code');
    expect(body?.get('client_id')).toBe('desktop-app');
    expect(body?.has('client_secret')).toBe(false);
    expect(body?.get('code_verifier')).toMatch(/^[\w-]{43}$/);
  });

  it('sends the configured secret with client_secret_basic (Google-style installed apps)', async () => {
    let authorization: string | undefined;
    await diagnose(
      {
        metadata: (m) => ({ ...m, token_endpoint_auth_methods_supported: ['client_secret_basic'] }),
        token: (_body, auth) => {
          authorization = auth;
          return json(400, { error: 'invalid_grant' });
        },
      },
      { clientSecret: 's3cret', clientAuthMethod: 'client_secret_basic' },
    );
    expect(authorization).toBe(`Basic ${Buffer.from('desktop-app:s3cret').toString('base64')}`);
  });
});

describe('a provider that cannot be used reports one explained failure', () => {
  it('down (connection refused): one fail line naming the URL', async () => {
    const port = await closedPort();
    const report = await diagnoseProvider(defineConfig({ issuer: `http://127.0.0.1:${port}` }), {
      timeoutMs: 5000,
    });
    expect(report.passed).toBe(false);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]?.id).toBe('discovery');
    expect(report.checks[0]?.verdict).toBe('fail');
    expect(report.checks[0]?.message).toContain(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    expect(report.checks[0]?.message).toContain('connection refused');
  });

  it('not OIDC: discovery answers 404', async () => {
    const report = await diagnose({
      discovery: html(404, '<h1>Not found</h1>'),
    });
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]?.message).toMatch(/answered HTTP 404 with an HTML page.*check OIDC_ISSUER/);
  });

  it('not OIDC: discovery answers an HTML page with 200', async () => {
    const report = await diagnose({
      discovery: html(200, '<!doctype html><title>Welcome</title>'),
    });
    expect(failures(report)).toEqual(['discovery']);
    expect(report.checks[0]?.message).toContain('answered an HTML page, not JSON');
  });

  it('garbage: discovery answers invalid JSON', async () => {
    const report = await diagnose({
      discovery: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"issuer": ' },
    });
    expect(failures(report)).toEqual(['discovery']);
    expect(report.checks[0]?.message).toContain('not valid JSON');
  });

  it('garbage: discovery lacks required metadata', async () => {
    const report = await diagnose({
      metadata: (m) => {
        const { jwks_uri: _j, token_endpoint: _t, ...rest } = m;
        return rest;
      },
    });
    expect(failures(report)).toContain('discovery');
    expect(find(report, 'discovery').message).toContain('lacks required metadata (token_endpoint, jwks_uri)');
  });

  it('issuer mismatch: the provider names another issuer', async () => {
    const report = await diagnose({ metadata: (m) => ({ ...m, issuer: 'https://other.example.com/' }) });
    expect(failures(report)).toEqual(['issuer']);
    expect(find(report, 'issuer').message).toContain('calls itself "https://other.example.com/"');
    expect(find(report, 'issuer').message).toContain('Set OIDC_ISSUER to exactly');
  });

  it('issuer with a trailing slash still matches, and the API is told the exact string', async () => {
    const report = await diagnose({ metadata: (m, base) => ({ ...m, issuer: `${base}/` }) });
    expect(find(report, 'issuer').verdict).toBe('ok');
    expect(find(report, 'issuer').message).toContain(`ISSUER_URL must be exactly "${provider().issuer}/"`);
  });

  it('PKCE not advertised at all is a warning, not a failure', async () => {
    const report = await diagnose({
      metadata: (m) => {
        const { code_challenge_methods_supported: _c, ...rest } = m;
        return rest;
      },
    });
    expect(find(report, 'pkce').verdict).toBe('warn');
    expect(report.passed).toBe(true);
  });

  it('no "none" client authentication, and the token endpoint wants a secret (invalid_client)', async () => {
    const report = await diagnose({
      metadata: (m) => ({
        ...m,
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      }),
      token: () => json(401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    });
    expect(failures(report)).toEqual(['client-authentication']);
    expect(find(report, 'client-authentication').message).toMatch(
      /refused client "desktop-app" without a secret \(invalid_client/,
    );
  });

  it('a provider that accepts public clients without listing "none" (Entra-style) passes', async () => {
    const report = await diagnose({
      metadata: (m) => ({
        ...m,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'],
      }),
    });
    expect(find(report, 'client-authentication').verdict).toBe('ok');
    expect(find(report, 'client-authentication').message).toContain(
      '"none" is not advertised in token_endpoint_auth_methods_supported [client_secret_post, private_key_jwt], but this answer settles it',
    );
  });

  it('JWKS with only a symmetric key', async () => {
    const report = await diagnose({
      jwks: () => ({ keys: [{ kty: 'oct', kid: 'hmac', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' }] }),
    });
    expect(failures(report)).toEqual(['signing-keys']);
    const { message } = find(report, 'signing-keys');
    expect(message).toContain('kid "hmac" is a symmetric key with its secret "k"');
    expect(message).toContain('no usable asymmetric signing key');
  });

  it('JWKS exposing a private key', async () => {
    const report = await diagnose({ jwks: (_pub, priv) => ({ keys: [priv] }) });
    expect(failures(report)).toEqual(['signing-keys']);
    expect(find(report, 'signing-keys').message).toMatch(
      /kid "key-1" has the private members d, p, q, dp, dq, qi.*rotate/,
    );
  });

  it('JWKS unreachable', async () => {
    const port = await closedPort();
    const report = await diagnose({ metadata: (m) => ({ ...m, jwks_uri: `http://127.0.0.1:${port}/jwks` }) });
    expect(failures(report)).toEqual(['signing-keys']);
    expect(find(report, 'signing-keys').message).toContain(
      `http://127.0.0.1:${port}/jwks cannot be reached: connection refused`,
    );
  });

  it('JWKS keys without a kid are a warning', async () => {
    const report = await diagnose({ jwks: (pub) => ({ keys: [{ ...pub, kid: undefined }] }) });
    expect(find(report, 'signing-keys').verdict).toBe('warn');
  });

  it('ID tokens signed only with HS256', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, id_token_signing_alg_values_supported: ['HS256'] }),
    });
    expect(failures(report)).toContain('signing-algorithms');
  });

  it('the authorization endpoint sends the browser back with error=unauthorized_client', async () => {
    const report = await diagnose({
      authorize: (params) => redirectBack(params, 'unauthorized_client'),
    });
    expect(failures(report)).toEqual(['authorization-request']);
    expect(find(report, 'authorization-request').message).toMatch(
      /unauthorized_client; client "desktop-app" may not use the authorization code flow/,
    );
  });

  it('the authorization endpoint refuses the resource indicator (invalid_target)', async () => {
    const report = await diagnose({
      authorize: (params) => redirectBack(params, 'invalid_target'),
    });
    expect(find(report, 'authorization-request').message).toContain(
      'OIDC_SEND_RESOURCE=false and OIDC_AUDIENCE_PARAM',
    );
  });

  it('the authorization endpoint answers 400 for the redirect URI', async () => {
    const report = await diagnose({
      authorize: () => html(400, '<html><title>Error</title><p>Invalid parameter: redirect_uri</p></html>'),
    });
    expect(failures(report)).toEqual(['authorization-request']);
    const { message } = find(report, 'authorization-request');
    expect(message).toContain('before any login page (HTTP 400');
    expect(message).toContain(
      'Register a native/public client "desktop-app" with the redirect URI http://127.0.0.1/callback (any port)',
    );
  });
});

describe('what the provider only fails to advertise is a warning, not a failure', () => {
  it('PKCE: only "plain" is advertised', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, code_challenge_methods_supported: ['plain'] }),
    });
    expect(find(report, 'pkce').verdict).toBe('warn');
    expect(find(report, 'pkce').message).toContain(
      'PKCE "S256" is not advertised in code_challenge_methods_supported [plain]',
    );
    expect(report.passed).toBe(true);
  });

  it('code flow: response_types_supported lacks "code"', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, response_types_supported: ['id_token', 'id_token token'] }),
    });
    expect(find(report, 'code-flow').verdict).toBe('warn');
    expect(find(report, 'code-flow').message).toContain(
      '"code" is not advertised in response_types_supported [id_token, id_token token]',
    );
    expect(report.passed).toBe(true);
  });

  it('"none" not advertised and a token endpoint answer that settles nothing (HTTP 404)', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, token_endpoint_auth_methods_supported: ['client_secret_basic'] }),
      token: () => ({ status: 404, body: 'nope' }),
    });
    expect(find(report, 'client-authentication').verdict).toBe('warn');
    const { message } = find(report, 'client-authentication');
    expect(message).toContain('got HTTP 404 with a body that is not an OAuth error');
    expect(message).toContain(
      '"none" is not advertised in token_endpoint_auth_methods_supported [client_secret_basic]',
    );
    expect(report.passed).toBe(true);
  });
});

describe('what a desktop app can live without is a warning, and still passes', () => {
  it('no end-session endpoint, no revocation endpoint, no RFC 9207 iss, no refresh_token grant', async () => {
    const report = await diagnose({
      metadata: (m) => {
        const {
          end_session_endpoint: _e,
          revocation_endpoint: _r,
          authorization_response_iss_parameter_supported: _i,
          ...rest
        } = m;
        return { ...rest, grant_types_supported: ['authorization_code'] };
      },
    });
    for (const id of ['end-session', 'revocation', 'iss-parameter', 'refresh-tokens'] as const) {
      expect(find(report, id).verdict, id).toBe('warn');
    }
    expect(report.passed).toBe(true);
  });
});
