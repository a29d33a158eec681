import { launchBrowser, OpenInstances, recordingLogger, TestVault } from '@electron-oidc/test-support';
import * as client from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { SessionState } from '../../../src/core/session/token-session.ts';
import { authFor, browserOpener, countingFetch, discoverDirectly, requestParameters } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

// One story, told in order: sign in, call the API, restore in a new instance,
// refresh once under load, sign out. Each step relies on the one before.
describe('sign-in, API call, silent restore, single-flight refresh, sign-out (local provider, real Chromium)', () => {
  let stack: LocalStack;
  let browser: Browser;
  let context: BrowserContext;
  const vault = new TestVault();
  const logger = recordingLogger();
  const instances = new OpenInstances<DesktopAuth>();
  let firstRefreshToken: string | undefined;
  let clockOffset = 0;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    context = await browser.newContext();
  });
  afterAll(async () => {
    instances.closeAll();
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  it('signs alice in through the system browser and returns her sanitized profile', async () => {
    const page = await context.newPage();
    const opener = browserOpener(page);
    const counter = countingFetch();
    const auth = authFor(stack, { vault, logger, openBrowser: opener.open, fetch: counter.fetch });
    instances.add(auth);
    const states: SessionState[] = [];
    auth.onStateChange((s) => states.push(s));

    const profile = await auth.signIn();
    await opener.settled();

    expect(profile).toEqual({
      sub: expect.any(String),
      name: 'Alice Liddell',
      email: 'alice@example.com',
      picture: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/avatars\/alice\.svg$/),
    });
    expect(states).toEqual(['signing-in', 'signed-in']);
    expect(auth.state).toBe('signed-in');

    // The authorization request (pushed: the provider takes PAR, RFC 9126) carried every check
    // (RFC 7636, RFC 6749 §10.12, OIDC Core §3.1.2.1, RFC 8707).
    const request = requestParameters(new URL(opener.opened[0]!), counter);
    expect(request.get('code_challenge_method')).toBe('S256');
    expect(request.get('state')).toMatch(/^[\w-]{43,}$/);
    expect(request.get('nonce')).toMatch(/^[\w-]{43,}$/);
    expect(request.get('resource')).toBe(stack.idp.apiResource);
    expect(request.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);

    // The browser tab tells the user they are done, and the listener has closed.
    expect(await page.textContent('h1')).toBe('You are signed in');
    const listenerUrl = request.get('redirect_uri')!;
    await expect(fetch(listenerUrl)).rejects.toThrow();

    firstRefreshToken = vault.refreshToken;
    expect(firstRefreshToken).toBeDefined();
    // DPoP-bound (the provider lists dpop_signing_alg_values_supported): a version 2 entry with its key.
    expect(JSON.parse(vault.value!)).toMatchObject({
      v: 2,
      sub: profile.sub,
      client_id: 'desktop-app',
      dpop: { alg: 'ES256' },
    });
    await page.close();
  });

  it('calls the API with the access token', async () => {
    const auth = instances.list[0]!;
    const response = await auth.fetchApi('/private');
    expect(response.status).toBe(200);
    expect(auth.accessTokenExpiresAt?.getTime()).toBeGreaterThan(Date.now());
  });

  it('never sends the token to another origin', async () => {
    const auth = instances.list[0]!;
    await expect(auth.fetchApi(`${stack.idp.issuer}/me`)).rejects.toMatchObject({
      code: 'ERR_API_ORIGIN_REFUSED',
    });
  });

  it('a new library instance with the same vault restores the session silently with one refresh grant', async () => {
    const counter = countingFetch();
    const auth = authFor(stack, {
      vault,
      logger,
      fetch: counter.fetch,
      now: () => Date.now() + clockOffset,
      openBrowser: async () => {
        throw new Error('restore must not open the browser');
      },
    });
    instances.add(auth);
    expect(await auth.restore()).toBe('signed-in');
    expect(counter.grants).toEqual(['refresh_token']);
    expect((await auth.getProfile())?.name).toBe('Alice Liddell');
    expect((await auth.fetchApi('/private')).status).toBe(200);
    // Rotation: the vault now holds the new refresh token, and the provider retired the old one.
    expect(vault.refreshToken).not.toBe(firstRefreshToken);
  });

  it('50 concurrent getAccessToken() calls at expiry cause exactly one refresh request', async () => {
    const counter = countingFetch();
    const auth = authFor(stack, { vault, logger, fetch: counter.fetch, now: () => Date.now() + clockOffset });
    instances.add(auth);
    await auth.restore();
    const before = await auth.getAccessToken();
    counter.grants.length = 0;
    // The library's clock jumps past the access token's expiry.
    clockOffset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
    const tokens = await Promise.all(Array.from({ length: 50 }, () => auth.getAccessToken()));
    expect(counter.grants).toEqual(['refresh_token']);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(before);
    clockOffset = 0;
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('sign-out revokes the refresh token at the provider, empties the vault and returns the end-session URL', async () => {
    const auth = instances.list[2]!;
    const refreshToken = vault.refreshToken!;
    const states: SessionState[] = [];
    auth.onStateChange((s) => states.push(s));

    const result = await auth.signOut();

    expect(result.revoked).toBe(true);
    expect(vault.value).toBeUndefined();
    expect(auth.state).toBe('signed-out');
    expect(states).toEqual(['signed-out']);
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(await auth.getProfile()).toBeUndefined();

    const endSession = new URL(result.endSessionUrl!);
    expect(endSession.origin + endSession.pathname).toMatch(new RegExp(`^${stack.idp.issuer}/`));
    expect(endSession.searchParams.get('client_id')).toBe('desktop-app');
    // No ID token in a URL that an app may open or print (DESIGN "The loopback listener…").
    expect(endSession.searchParams.has('id_token_hint')).toBe(false);
    expect(result.endSessionUrl).not.toMatch(/eyJ[\w-]*\.[\w-]+\.[\w-]+/);

    // From the provider's side: the revoked refresh token is refused (RFC 7009 §2.2).
    const provider = await discoverDirectly(stack);
    await expect(client.refreshTokenGrant(provider, refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('sign-out can end the provider session in the browser and serve the loopback post-logout page', async () => {
    const page = await context.newPage();
    const opener = browserOpener(page);
    const auth = authFor(stack, { vault, logger, openBrowser: opener.open });
    instances.add(auth);
    await auth.signIn();
    await opener.settled();

    const logoutOpener = async (url: string) => {
      opener.opened.push(url);
      await page.goto(url);
      await page.getByRole('button', { name: 'Sign out' }).click();
    };
    const auth2 = authFor(stack, { vault, logger, openBrowser: logoutOpener });
    instances.add(auth2);
    await auth2.restore();
    const result = await auth2.signOut({ endProviderSession: true, timeoutMs: 30_000 });
    expect(result).toMatchObject({ revoked: true, providerSessionEnded: true });
    // The browser was opened on the one-shot loopback page, which posted the hint to the provider.
    const opened = opener.opened.at(-1)!;
    expect(opened).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
    expect(opened).not.toMatch(/eyJ[\w-]*\.[\w-]+\.[\w-]+/);
    await page.waitForURL(/\/logout\?/);
    expect(await page.textContent('h1')).toBe('You are signed out');
    await page.close();
  });

  it('no token ever reached the logger', () => {
    const text = logger.lines.join('\n');
    expect(text).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
    if (firstRefreshToken !== undefined) expect(text).not.toContain(firstRefreshToken);
  });
});
