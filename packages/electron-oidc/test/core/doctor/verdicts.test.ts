import { describe, expect, it } from 'vitest';
import { closedPort, html, json, redirectBack } from './fake-provider.ts';
import type { RawAnswer } from './fake-provider.ts';
import { failures, find, useFakeProvider } from './harness.ts';

/**
 * doctor says FAIL only where the provider's own answer proves the app cannot
 * work; advertised lists are hints; what it cannot decide is a warning.
 */
const { diagnose, provider } = useFakeProvider();

/** A token endpoint that answers the test code exchange and the test refresh differently. */
function tokenAnswers(code: RawAnswer, refresh: RawAnswer = json(400, { error: 'invalid_grant' })) {
  return (body: URLSearchParams): RawAnswer => (body.get('grant_type') === 'refresh_token' ? refresh : code);
}

/** A discovery document that, like several real ones, advertises neither "none" nor refresh_token. */
const incompleteLists = (m: Record<string, unknown>) => ({
  ...m,
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
  grant_types_supported: ['authorization_code', 'implicit'],
});

describe('client authentication: the test code exchange decides, not the advertised list', () => {
  it('omits "none" but accepts the public client (invalid_grant): ok', async () => {
    const report = await diagnose({ metadata: incompleteLists });
    const { verdict, message } = find(report, 'client-authentication');
    expect(verdict).toBe('ok');
    expect(message).toContain('takes client "desktop-app" without a client secret');
    expect(message).toContain('refused only the made-up test code (invalid_grant: "code not found")');
    expect(message).toContain(
      '"none" is not advertised in token_endpoint_auth_methods_supported [client_secret_basic, client_secret_post, private_key_jwt], but this answer settles it',
    );
    expect(report.passed).toBe(true);
  });

  it('the certified provider of issue 16 (incomplete lists, non-standard invalid_code): passes, no FAIL line', async () => {
    const report = await diagnose({
      metadata: incompleteLists,
      token: tokenAnswers(
        json(400, { error: 'invalid_code', error_description: 'Invalid authorization code' }),
        json(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' }),
      ),
    });
    expect(failures(report)).toEqual([]);
    expect(report.passed).toBe(true);
    expect(find(report, 'client-authentication').verdict).toBe('ok');
    expect(find(report, 'refresh-tokens').verdict).toBe('warn');
  });

  it('answers invalid_client: FAIL, even though "none" is advertised', async () => {
    const report = await diagnose({
      token: () => json(401, { error: 'invalid_client', error_description: 'client authentication failed' }),
    });
    expect(failures(report)).toEqual(['client-authentication']);
    const { message } = find(report, 'client-authentication');
    expect(message).toContain(
      'refused client "desktop-app" without a secret (invalid_client: "client authentication failed")',
    );
    expect(message).toContain('make it a native/public client with no client authentication');
  });

  it.each([
    {
      rule: 'HTTP 401 with no body (RFC 6749 §5.2: 401 is the refused client)',
      answer: { status: 401 },
      says: 'refused client "desktop-app" without a secret (HTTP 401)',
    },
    {
      rule: 'invalid_request asking for the secret (Google)',
      answer: json(400, { error: 'invalid_request', error_description: 'client_secret is missing.' }),
      says: 'set OIDC_CLIENT_SECRET',
    },
    {
      rule: 'unauthorized_client, advising to allow the authorization code grant',
      answer: json(400, { error: 'unauthorized_client' }),
      says: 'allow the Authorization Code grant for client "desktop-app"',
    },
  ])('answers $rule: FAIL', async ({ answer, says }) => {
    const report = await diagnose({ token: () => answer });
    expect(failures(report)).toEqual(['client-authentication']);
    expect(find(report, 'client-authentication').message).toContain(says);
  });

  // A non-standard error code that does not name the client is the provider refusing the made-up code after it took
  // the client: RFC 6749 §5.2 reserves invalid_client (and HTTP 401) for a refused client, and a provider that
  // invents a code for the grant has no reason to hide a refused client behind it.
  it('non-standard error body not about the client (invalid_code): ok', async () => {
    const report = await diagnose({
      token: () => json(400, { error: 'invalid_code', error_description: 'Invalid authorization code' }),
    });
    const { verdict, message } = find(report, 'client-authentication');
    expect(verdict).toBe('ok');
    expect(message).toContain(
      'refused only the made-up test code (invalid_code: "Invalid authorization code")',
    );
  });

  it('non-standard error body that names the client (client_not_found): warn, not FAIL', async () => {
    const report = await diagnose({ token: () => json(400, { error: 'client_not_found' }) });
    const { verdict, message } = find(report, 'client-authentication');
    expect(verdict).toBe('warn');
    expect(message).toContain('got client_not_found, a non-standard error that seems to be about the client');
    expect(message).toContain('doctor cannot tell whether the provider takes the client');
    expect(report.passed).toBe(true);
  });

  it('empty 400 body: warn, saying what was seen and what to check', async () => {
    const report = await diagnose({ metadata: incompleteLists, token: () => ({ status: 400 }) });
    const { verdict, message } = find(report, 'client-authentication');
    expect(verdict).toBe('warn');
    expect(message).toContain('A test code exchange for client "desktop-app" without a client secret');
    expect(message).toContain('got HTTP 400 with an empty body');
    expect(message).toContain('doctor cannot tell whether the provider takes the client');
    expect(message).toContain('"none" is not advertised in token_endpoint_auth_methods_supported');
    expect(message).toContain('registered as a native/public client with no client authentication');
    expect(message).toContain('npm run cli -- login');
    expect(report.passed).toBe(true);
  });

  it('a provider failure (server_error): warn', async () => {
    const report = await diagnose({ token: () => json(500, { error: 'server_error' }) });
    expect(find(report, 'client-authentication').verdict).toBe('warn');
    expect(find(report, 'client-authentication').message).toContain(
      'server_error, a failure at the provider',
    );
  });

  it('a token endpoint that does not answer: FAIL, since the app posts its code there the same way', async () => {
    const port = await closedPort();
    const report = await diagnose({
      metadata: (m) => ({ ...m, token_endpoint: `http://127.0.0.1:${port}/token` }),
    });
    expect(failures(report)).toEqual(['client-authentication']);
    expect(find(report, 'client-authentication').message).toContain(
      `http://127.0.0.1:${port}/token cannot be reached: connection refused`,
    );
  });
});

describe('code flow: the advertised lists are hints, unsupported_grant_type is proof', () => {
  it('grant_types_supported without authorization_code, but the token endpoint looked for the code: ok', async () => {
    const report = await diagnose({ metadata: (m) => ({ ...m, grant_types_supported: ['refresh_token'] }) });
    const { verdict, message } = find(report, 'code-flow');
    expect(verdict).toBe('ok');
    expect(message).toContain(
      '"authorization_code" is not advertised in grant_types_supported [refresh_token]',
    );
    expect(message).toContain('the token endpoint took the grant');
  });

  it('unsupported_grant_type for the code exchange: code-flow FAIL, client authentication undecided', async () => {
    const report = await diagnose({ token: tokenAnswers(json(400, { error: 'unsupported_grant_type' })) });
    expect(failures(report)).toEqual(['code-flow']);
    expect(find(report, 'code-flow').message).toContain('it has no authorization code grant');
    expect(find(report, 'client-authentication').verdict).toBe('warn');
  });

  it('response_modes_supported without query: warn', async () => {
    const report = await diagnose({ metadata: (m) => ({ ...m, response_modes_supported: ['form_post'] }) });
    expect(find(report, 'code-flow').verdict).toBe('warn');
    expect(find(report, 'code-flow').message).toContain(
      '"query" is not advertised in response_modes_supported [form_post]',
    );
  });
});

describe('refresh tokens: a test refresh with a made-up token', () => {
  it('sends the grant as the app does: a made-up refresh token, the client id, no secret, the resource', async () => {
    await diagnose({});
    const body = provider().tokenRequests.find((b) => b.get('grant_type') === 'refresh_token');
    expect(body?.get('refresh_token')).toMatch(/^[\w-]{43}$/);
    expect(body?.get('client_id')).toBe('desktop-app');
    expect(body?.has('client_secret')).toBe(false);
    expect(body?.get('resource')).toBe('https://api.example.com');
  });

  it('omits refresh_token from grant types but issues refresh tokens: warn, and no claim that users sign in at every launch', async () => {
    const report = await diagnose({ metadata: incompleteLists });
    const { verdict, message } = find(report, 'refresh-tokens');
    expect(verdict).toBe('warn');
    expect(message).toContain(
      '"refresh_token" is not advertised in grant_types_supported [authorization_code, implicit], but the token endpoint knows the grant',
    );
    expect(message).toContain(
      'refused a test refresh only for its made-up token (invalid_grant: "code not found")',
    );
    expect(message).toContain('"npm run cli -- status" in a later run');
    expect(message).not.toMatch(/every launch|must sign in/);
  });

  it('no grant_types_supported at all and an undecided test refresh: warn, no claim either', async () => {
    const report = await diagnose({
      metadata: (m) => {
        const { grant_types_supported: _g, ...rest } = m;
        return rest;
      },
      token: tokenAnswers(json(400, { error: 'invalid_grant' }), { status: 400 }),
    });
    const { verdict, message } = find(report, 'refresh-tokens');
    expect(verdict).toBe('warn');
    expect(message).toContain('"refresh_token" is not advertised (no grant_types_supported');
    expect(message).toContain('a test refresh got HTTP 400 with an empty body');
    expect(message).not.toMatch(/every launch/);
  });

  it('unsupported_grant_type for the refresh: warn, and now the provider itself says users sign in at every launch', async () => {
    const report = await diagnose({
      token: tokenAnswers(
        json(400, { error: 'invalid_grant' }),
        json(400, { error: 'unsupported_grant_type' }),
      ),
    });
    const { verdict, message } = find(report, 'refresh-tokens');
    expect(verdict).toBe('warn');
    expect(message).toContain('the provider has no refresh_token grant');
    expect(message).toContain('at every launch');
    expect(report.passed).toBe(true);
  });
});

describe('other hints and undecidable answers are warnings', () => {
  it('offline_access not advertised in scopes_supported: warn', async () => {
    const report = await diagnose({ metadata: (m) => ({ ...m, scopes_supported: ['openid', 'profile'] }) });
    expect(find(report, 'offline-access').verdict).toBe('warn');
    expect(find(report, 'offline-access').message).toContain(
      '"offline_access" is not advertised in scopes_supported [openid, profile]',
    );
  });

  it('a malformed advertised list (PKCE): warn, not FAIL', async () => {
    const report = await diagnose({ metadata: (m) => ({ ...m, code_challenge_methods_supported: 'S256' }) });
    expect(find(report, 'pkce').verdict).toBe('warn');
    expect(find(report, 'pkce').message).toContain('code_challenge_methods_supported is malformed');
  });

  it('a plain-http revocation endpoint off loopback: warn (the app signs in without it)', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, revocation_endpoint: 'http://login.example.com/revoke' }),
    });
    expect(find(report, 'endpoints').verdict).toBe('warn');
    expect(find(report, 'endpoints').message).toContain('revocation_endpoint is plain http off loopback');
  });

  it('a plain-http token endpoint off loopback: FAIL, and no test exchange is sent there', async () => {
    const report = await diagnose({
      metadata: (m) => ({ ...m, token_endpoint: 'http://login.example.com/token' }),
    });
    expect(failures(report)).toEqual(['endpoints']);
    expect(find(report, 'endpoints').message).toContain('token_endpoint is plain http off loopback');
    expect(provider().tokenRequests).toEqual([]);
  });

  it('the authorization endpoint fails with HTTP 503: warn', async () => {
    const report = await diagnose({ authorize: () => ({ status: 503 }) });
    expect(find(report, 'authorization-request').verdict).toBe('warn');
    expect(find(report, 'authorization-request').message).toContain('failed with HTTP 503');
  });

  it('the authorization endpoint answers 403 without an OAuth error (a bot gate?): warn', async () => {
    const report = await diagnose({
      authorize: () => html(403, '<title>Just a moment</title>'),
    });
    const { verdict, message } = find(report, 'authorization-request');
    expect(verdict).toBe('warn');
    expect(message).toContain('HTTP 403, page title "Just a moment"');
    expect(message).toContain('doctor cannot tell a refusal from a gate for non-browser clients');
  });

  it('the authorization endpoint answers 403 naming invalid_client: FAIL', async () => {
    const report = await diagnose({
      authorize: () => html(403, '<p>invalid_client</p>'),
    });
    expect(failures(report)).toEqual(['authorization-request']);
    expect(find(report, 'authorization-request').message).toContain('does not know client "desktop-app"');
  });

  it('the provider sends the browser back with error=temporarily_unavailable: warn', async () => {
    const report = await diagnose({
      authorize: (params) => redirectBack(params, 'temporarily_unavailable'),
    });
    expect(find(report, 'authorization-request').verdict).toBe('warn');
    expect(find(report, 'authorization-request').message).toContain('(temporarily_unavailable)');
  });

  it('the authorization endpoint does not answer: warn (the browser, not the app, opens it)', async () => {
    const port = await closedPort();
    const report = await diagnose({
      metadata: (m) => ({ ...m, authorization_endpoint: `http://127.0.0.1:${port}/authorize` }),
    });
    expect(find(report, 'authorization-request').verdict).toBe('warn');
    expect(find(report, 'authorization-request').message).toContain(
      'cannot be reached from here: connection refused',
    );
  });
});
