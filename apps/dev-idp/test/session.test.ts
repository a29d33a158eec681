import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeLogin, completeLogout, launchBrowser } from '@electron-oidc/test-support';
import type { RunningIdp } from '../src/index.ts';
import type { LoopbackTarget } from './support.ts';
import {
  buildAuthorizationRequest,
  discover,
  makeDataDir,
  refusal,
  removeDir,
  signIn,
  startLoopbackTarget,
  startTestIdp,
} from './support.ts';

let browser: Browser;
let target: LoopbackTarget;
let context: BrowserContext;

beforeAll(async () => {
  target = await startLoopbackTarget();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
});

beforeEach(async () => {
  context = await browser.newContext();
});

afterEach(async () => {
  await context.close();
});

describe('with refresh token rotation (the default)', () => {
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

  it('answers a refresh with a new refresh token and a new JWT access token for the API', async () => {
    const first = await signIn(context, config, target);
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    expect(decodeProtectedHeader(refreshed.access_token).typ).toBe('at+jwt');
    expect(refreshed.claims()?.sub).toBe('alice');
  });

  it('refuses a refresh token once it has been rotated, and then revokes the grant (RFC 9700 §4.14.2)', async () => {
    const first = await signIn(context, config, target);
    const second = await client.refreshTokenGrant(config, first.refresh_token!);
    expect(await refusal(client.refreshTokenGrant(config, first.refresh_token!))).toBe('invalid_grant');
    // The replay may be an attacker's; the legitimate holder of the newest token is signed out too.
    expect(await refusal(client.refreshTokenGrant(config, second.refresh_token!))).toBe('invalid_grant');
  });

  it('a second account signed in in the same browser (prompt=login) leaves the first one’s refresh token working', async () => {
    const alice = await signIn(context, config, target);
    const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
    request.url.searchParams.set('prompt', 'login');
    const page = await context.newPage();
    await page.goto(request.url.href);
    await completeLogin(page, { username: 'bob', password: 'builder' });
    await page.waitForURL((url) => url.origin === target.origin);
    const bob = await client.authorizationCodeGrant(config, new URL(page.url()), request);
    expect(bob.claims()?.sub).toBe('bob');
    // The native client's grants are not tied to the browser session (see provider.ts).
    const refreshed = await client.refreshTokenGrant(config, alice.refresh_token!);
    expect(refreshed.claims()?.sub).toBe('alice');
  });

  it('refuses a refresh token after it was revoked (RFC 7009)', async () => {
    const tokens = await signIn(context, config, target);
    await client.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    expect(await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).toBe('invalid_grant');
  });

  it('ends the provider session with id_token_hint and redirects to the loopback post-logout URI on any port', async () => {
    const tokens = await signIn(context, config, target);
    const state = client.randomState();
    const page = await context.newPage();
    await page.goto(
      client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: `${target.origin}/logout`,
        state,
      }).href,
    );
    await completeLogout(page);
    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(`${target.origin}/logout`);
    expect(landed.searchParams.get('state')).toBe(state);

    // Signed out at the provider: a new authorization request asks for the password again.
    const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
    await page.goto(request.url.href);
    await expect(page.getByLabel('Password').count()).resolves.toBe(1);
  });

  it('refuses an end-session request whose post-logout URI is not registered', async () => {
    const tokens = await signIn(context, config, target);
    for (const uri of [`${target.origin}/elsewhere`, 'http://attacker.example/logout']) {
      const url = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: uri,
      });
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('post_logout_redirect_uri not registered');
    }
  });
});

describe('across a restart on the same data folder', () => {
  let dataDir: string;
  let idp: RunningIdp | undefined;

  beforeAll(async () => {
    dataDir = await makeDataDir();
  });

  afterAll(async () => {
    await idp?.close();
    await removeDir(dataDir);
  });

  it('keeps refresh tokens valid and ID tokens verifiable', async () => {
    idp = await startTestIdp(dataDir);
    const before = await signIn(context, await discover(idp), target);
    const { port } = idp;
    await idp.close();

    // Same port, so the same issuer, as after restarting `npm run idp`.
    idp = await startTestIdp(dataDir, { port });
    const config = await discover(idp);
    const jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
    await expect(jwtVerify(before.id_token!, jwks, { issuer: idp.issuer })).resolves.toBeDefined();
    const after = await client.refreshTokenGrant(config, before.refresh_token!);
    expect(after.access_token).toEqual(expect.any(String));
    expect(after.claims()?.sub).toBe('alice');
  });
});

describe('with refresh token rotation turned off', () => {
  let dataDir: string;
  let idp: RunningIdp;
  let config: client.Configuration;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    idp = await startTestIdp(dataDir, { refreshTokenRotation: false });
    config = await discover(idp);
  });

  afterAll(async () => {
    await idp?.close();
    await removeDir(dataDir);
  });

  it('keeps the same refresh token usable', async () => {
    const tokens = await signIn(context, config, target);
    const first = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(first.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
    const second = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(second.access_token).toEqual(expect.any(String));
  });
});
