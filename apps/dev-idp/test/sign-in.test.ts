import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { completeLogin, launchBrowser } from '@electron-oidc/test-support';
import type { RunningIdp } from '../src/index.ts';
import type { AuthorizationRequest, LoopbackTarget } from './support.ts';
import {
  buildAuthorizationRequest,
  discover,
  makeDataDir,
  removeDir,
  signIn,
  startLoopbackTarget,
  startTestIdp,
} from './support.ts';

const ACCESS_TOKEN_TTL = 7;

let browser: Browser;
let dataDir: string;
let idp: RunningIdp;
let config: client.Configuration;
let target: LoopbackTarget;
let context: BrowserContext;

beforeAll(async () => {
  dataDir = await makeDataDir();
  idp = await startTestIdp(dataDir, { accessTokenTtl: ACCESS_TOKEN_TTL });
  config = await discover(idp);
  target = await startLoopbackTarget();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await target?.close();
  await idp?.close();
  await removeDir(dataDir);
});

beforeEach(async () => {
  context = await browser.newContext();
});

afterEach(async () => {
  await context.close();
});

describe('a successful sign-in as alice', () => {
  let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    const ownContext = await browser.newContext();
    try {
      tokens = await signIn(ownContext, config, target);
    } finally {
      await ownContext.close();
    }
    jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
  });

  it('issues a signed ID token carrying the profile and email claims', async () => {
    const { payload } = await jwtVerify(tokens.id_token ?? '', jwks, {
      issuer: idp.issuer,
      audience: idp.clientId,
    });
    expect(payload).toMatchObject({
      sub: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.com',
      email_verified: true,
      picture: `${idp.issuer}/avatars/alice.svg`,
      amr: ['pwd'],
    });
  });

  it('issues a JWT access token for the API (RFC 9068) with the read:messages scope', async () => {
    const accessToken = tokens.access_token;
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
    const { payload } = await jwtVerify(accessToken, jwks, {
      issuer: idp.issuer,
      audience: idp.apiResource,
      typ: 'at+jwt',
    });
    expect(String(payload['scope']).split(' ')).toContain('read:messages');
    expect(payload).toMatchObject({ sub: 'alice', client_id: idp.clientId });
  });

  it('gives access tokens the configured lifetime', async () => {
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: idp.issuer,
      audience: idp.apiResource,
    });
    expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL);
    expect(tokens.expires_in).toBe(ACCESS_TOKEN_TTL);
  });

  it('issues a refresh token although the request had no prompt=consent', () => {
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });
});

describe('the login page', () => {
  async function openLoginPage(): Promise<{ page: Page; request: AuthorizationRequest }> {
    const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
    const page = await context.newPage();
    await page.goto(request.url.href);
    return { page, request };
  }

  async function submit(page: Page, username: string, password: string): Promise<number> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    const response = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Sign in' }).click();
    return (await response).status();
  }

  it('is an accessible, self-contained page', async () => {
    const { page } = await openLoginPage();
    const loaded: string[] = [];
    page.on('request', (r) => loaded.push(r.url()));
    await page.reload();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expect(
      page.getByRole('main').getByRole('heading', { level: 1, name: 'Sign in' }).count(),
    ).resolves.toBe(1);
    expect(await page.getByLabel('Username').getAttribute('autocomplete')).toBe('username');
    expect(await page.getByLabel('Password').getAttribute('type')).toBe('password');
    expect(loaded.every((url) => url.startsWith(idp.issuer))).toBe(true);
  });

  it('refuses a wrong password with 401 and says so, showing the form again', async () => {
    const { page } = await openLoginPage();
    expect(await submit(page, 'alice', 'not-wonderland')).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong username or password.');
    expect(await page.getByLabel('Username').inputValue()).toBe('alice');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
  });

  it('answers an unknown user exactly as a wrong password', async () => {
    const { page } = await openLoginPage();
    expect(await submit(page, 'mallory', 'wonderland')).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong username or password.');
  });

  it('signs in after a failed attempt on the same page', async () => {
    const { page, request } = await openLoginPage();
    await submit(page, 'alice', 'wrong');
    await completeLogin(page, { username: 'alice', password: 'wonderland' });
    await page.waitForURL((url) => url.origin === target.origin);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), request);
    expect(tokens.claims()?.sub).toBe('alice');
  });

  it('shows what the user typed as text, never as markup', async () => {
    const { page } = await openLoginPage();
    const typed = '"><script>document.title="pwned"</script><img src=x>';
    await submit(page, typed, 'x');
    expect(await page.getByLabel('Username').inputValue()).toBe(typed);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
  });
});

describe('the consent page', () => {
  async function reachConsent(): Promise<{ page: Page; request: AuthorizationRequest }> {
    const request = await buildAuthorizationRequest(config, `${target.origin}/callback`);
    const page = await context.newPage();
    await page.goto(request.url.href);
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('builder');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    return { page, request };
  }

  it('names the client and every requested scope', async () => {
    const { page } = await reachConsent();
    const text = await page.getByRole('main').textContent();
    expect(text).toContain('Desktop app');
    for (const scope of ['openid', 'profile', 'email', 'read:messages']) expect(text).toContain(scope);
  });

  it('Deny returns access_denied to the client with its state', async () => {
    const { page, request } = await reachConsent();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.origin === target.origin);
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(request.expectedState);
    expect(callback.searchParams.has('code')).toBe(false);
  });
});
