import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningIdp } from '../src/index.ts';
import { discover, makeDataDir, removeDir, startTestIdp } from './support.ts';

// The attacker's side of the authorization endpoint, without a browser: what a
// crafted request gets back (a redirect to the client, or an error page that
// redirects nowhere).

let dataDir: string;
let idp: RunningIdp;
let config: client.Configuration;

beforeAll(async () => {
  dataDir = await makeDataDir();
  idp = await startTestIdp(dataDir);
  config = await discover(idp);
});

afterAll(async () => {
  await idp?.close();
  await removeDir(dataDir);
});

async function authorize(params: Record<string, string>): Promise<Response> {
  const url = new URL(config.serverMetadata().authorization_endpoint!);
  for (const [name, value] of Object.entries({
    client_id: idp.clientId,
    response_type: 'code',
    scope: 'openid',
    state: 'xyz',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...params,
  })) {
    if (value !== '') url.searchParams.set(name, value);
  }
  return fetch(url, { redirect: 'manual' });
}

function location(response: Response): URL {
  const header = response.headers.get('location');
  expect(header).not.toBeNull();
  return new URL(header!, idp.issuer);
}

describe('redirect URIs', () => {
  it('accepts the registered loopback redirect URI on any port (RFC 8252 §7.3)', async () => {
    for (const port of [1024, 49152, 65535]) {
      const response = await authorize({ redirect_uri: `http://127.0.0.1:${port}/callback` });
      expect(response.status).toBe(303);
      expect(location(response).pathname).toMatch(/^\/interaction\//);
    }
  });

  it('refuses an unregistered redirect URI and does not redirect to it', async () => {
    for (const redirectUri of [
      'http://attacker.example/callback',
      'http://127.0.0.1:8080/elsewhere',
      'http://127.0.0.1.attacker.example/callback',
      'https://127.0.0.1/callback',
    ]) {
      const response = await authorize({ redirect_uri: redirectUri });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('redirect_uri did not match any of the client');
    }
  });
});

describe('PKCE (RFC 7636, RFC 9700 §2.1.1)', () => {
  it('refuses an authorization request without a code challenge', async () => {
    const response = await authorize({
      redirect_uri: 'http://127.0.0.1:5000/callback',
      code_challenge: '',
      code_challenge_method: '',
    });
    const callback = location(response);
    expect(callback.origin).toBe('http://127.0.0.1:5000');
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the plain code challenge method', async () => {
    const response = await authorize({
      redirect_uri: 'http://127.0.0.1:5000/callback',
      code_challenge_method: 'plain',
    });
    expect(location(response).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('what else a request may ask for', () => {
  it('refuses an unknown resource indicator with invalid_target (RFC 8707 §2)', async () => {
    const response = await authorize({
      redirect_uri: 'http://127.0.0.1:5000/callback',
      resource: 'http://127.0.0.1:9999',
    });
    expect(location(response).searchParams.get('error')).toBe('invalid_target');
  });

  it('offers the authorization code flow only (no implicit flow, RFC 9700 §2.1.2)', async () => {
    const response = await authorize({
      redirect_uri: 'http://127.0.0.1:5000/callback',
      response_type: 'token',
    });
    // An implicit-flow error travels in the fragment (OAuth 2.0 §4.2.2.1).
    const callback = location(response);
    expect(new URLSearchParams(callback.hash.slice(1)).get('error')).toBe('unsupported_response_type');
    expect(config.serverMetadata().response_types_supported).toEqual(['code']);
  });

  it('advertises S256 PKCE, revocation and end-session in discovery', () => {
    const metadata = config.serverMetadata();
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.revocation_endpoint).toBe(`${idp.issuer}/token/revocation`);
    expect(metadata.end_session_endpoint).toBe(`${idp.issuer}/session/end`);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });
});

describe('pushed authorization requests (RFC 9126)', () => {
  async function push(params: Record<string, string>): Promise<Response> {
    return fetch(config.serverMetadata().pushed_authorization_request_endpoint!, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: idp.clientId,
        response_type: 'code',
        scope: 'openid',
        state: 'xyz',
        redirect_uri: 'http://127.0.0.1:5000/callback',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        ...params,
      }),
    });
  }

  it('takes a pushed request and starts the sign-in from a URL with only client_id and request_uri', async () => {
    const pushed = await push({});
    expect(pushed.status).toBe(201);
    const { request_uri: requestUri, expires_in: expiresIn } = (await pushed.json()) as {
      request_uri: string;
      expires_in: number;
    };
    expect(requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(expiresIn).toBe(60);
    const url = new URL(config.serverMetadata().authorization_endpoint!);
    url.search = new URLSearchParams({ client_id: idp.clientId, request_uri: requestUri }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(location(response).pathname).toMatch(/^\/interaction\//);
  });

  it('checks a pushed request as it checks one in the URL (an unregistered redirect URI)', async () => {
    const pushed = await push({ redirect_uri: 'http://attacker.example/callback' });
    expect(pushed.status).toBe(400);
    expect(await pushed.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('redirect_uri did not match'),
    });
  });
});

describe('avatars', () => {
  it('serves each demo user picture as an SVG image from the issuer', async () => {
    for (const username of ['alice', 'bob']) {
      const response = await fetch(`${idp.issuer}/avatars/${username}.svg`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      const svg = await response.text();
      expect(svg).toMatch(/^<svg /);
      expect(svg).not.toMatch(/<script|href=/i);
    }
  });

  it('answers 404 for anyone else', async () => {
    for (const file of ['mallory.svg', 'alice.png', '..%2Fkeys.json']) {
      expect((await fetch(`${idp.issuer}/avatars/${file}`)).status).toBe(404);
    }
  });
});

describe('interaction pages', () => {
  it('refuses a login post without the interaction cookie (another site cannot submit it)', async () => {
    const started = await authorize({ redirect_uri: 'http://127.0.0.1:5000/callback' });
    const response = await fetch(new URL(`${location(started).pathname}/login`, idp.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=alice&password=wonderland',
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('This sign-in has expired');
  });
});
