/**
 * The two servers together, as the desktop app will meet them: a user signs in
 * at the local provider in a real browser, and the access token it issues opens
 * the API's `GET /private`; what the provider issues for other purposes does not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { discover, launchBrowser, signIn, startLoopbackTarget } from '@electron-oidc/test-support';
import type { LoopbackTarget } from '@electron-oidc/test-support';

let dataDir: string;
let idp: RunningIdp;
let api: RunningApi;
let browser: Browser;
let target: LoopbackTarget;
let config: client.Configuration;
let tokens: client.TokenEndpointResponse;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'e2e-idp-'));
  idp = await startIdp({ port: 0, dataDir, env: {} });
  api = await startApi({ issuer: idp.issuer, audience: idp.apiResource, port: 0 }, { log: () => {} });
  browser = await launchBrowser();
  target = await startLoopbackTarget();
  config = await discover(idp);
  const context = await browser.newContext();
  try {
    tokens = await signIn(context, config, target);
  } finally {
    await context.close();
  }
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
  await api?.close();
  await idp?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function getPrivate(token: string): Promise<Response> {
  return fetch(`${api.url}/private`, { headers: { authorization: `Bearer ${token}` } });
}

describe('the access token from a browser sign-in at the local provider', () => {
  it('opens GET /private', async () => {
    const response = await getPrivate(tokens.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'Only authenticated users can read this message.' });
  });

  it('is replaced by a refreshed one that works too', async () => {
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect((await getPrivate(refreshed.access_token)).status).toBe(200);
  });
});

describe('what the provider issues for other purposes', () => {
  it('refuses the ID token sent as an access token', async () => {
    const response = await getPrivate(tokens.id_token ?? '');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });

  it('refuses the refresh token sent as an access token', async () => {
    const response = await getPrivate(tokens.refresh_token ?? '');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});
