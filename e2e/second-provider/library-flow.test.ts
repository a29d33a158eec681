/**
 * The library (createDesktopAuth) and the API against both provider profiles: sign in,
 * call the API, restore and refresh, sign out. Then the rules only the second profile
 * can show: a fixed redirect port, a refresh that returns no refresh token, the
 * authorization response without (or with a wrong) `iss`, ID tokens that name the API
 * refused by it, and what `doctor` says.
 */
import {
  completeLogin,
  launchBrowser,
  OpenInstances,
  recordingLogger,
  TestVault,
} from '@electron-oidc/test-support';
import { createDesktopAuth, defineConfig } from 'electron-oidc';
import type { DesktopAuth, DesktopAuthOptions } from 'electron-oidc';
import { diagnoseProvider } from 'electron-oidc/doctor';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES, startProfile } from './support/profiles.ts';
import type { ProfileStack } from './support/profiles.ts';

const alice = { username: 'alice', password: 'wonderland' };
const MESSAGE = { message: 'Only authenticated users can read this message.' };

/** Every token the token endpoint answered with, and the grant types asked for. */
interface TokenLog {
  grants: string[];
  responses: Array<Record<string, unknown>>;
}

function tokenLoggingFetch(log: TokenLog) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
    const response = await fetch(url, init);
    if (grant !== null) {
      log.grants.push(grant);
      if (response.ok) log.responses.push((await response.clone().json()) as Record<string, unknown>);
    }
    return response;
  };
}

/** The user's system browser: loads the URL and signs in when the provider asks. */
function systemBrowser(page: Page) {
  const opened: string[] = [];
  let loginPagesShown = 0;
  return {
    opened,
    get loginPagesShown() {
      return loginPagesShown;
    },
    open: async (url: string) => {
      opened.push(url);
      await page.goto(url);
      if (new URL(page.url()).pathname.startsWith('/interaction/')) {
        loginPagesShown++;
        await completeLogin(page, alice);
      }
    },
  };
}

describe.each(PROFILES)('the library and the API against the %s provider profile', (profileName) => {
  let stack: ProfileStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const vault = new TestVault();
  const logger = recordingLogger();
  const tokens: TokenLog = { grants: [], responses: [] };
  const instances = new OpenInstances<DesktopAuth>();
  let clockOffset = 0;
  let browserOpener: ReturnType<typeof systemBrowser>;
  const refreshTokenOf = () => (JSON.parse(vault.value!) as { refresh_token: string }).refresh_token;

  const auth = (options: Partial<DesktopAuthOptions> = {}): DesktopAuth => {
    const instance = createDesktopAuth({
      config: stack.config,
      vault,
      logger,
      fetch: tokenLoggingFetch(tokens),
      openBrowser: browserOpener.open,
      now: () => Date.now() + clockOffset,
      retrySchedule: [60_000],
      ...options,
    });
    instances.add(instance);
    return instance;
  };

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startProfile(profileName), launchBrowser()]);
    context = await browser.newContext();
    page = await context.newPage();
    browserOpener = systemBrowser(page);
  });
  afterAll(async () => {
    instances.closeAll();
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  it('signs alice in and returns her name, email and picture (from userinfo where the ID token has none)', async () => {
    const first = auth();
    const profile = await first.signIn();
    expect(profile).toEqual({
      sub: expect.any(String),
      name: 'Alice Liddell',
      email: 'alice@example.com',
      picture: new URL('/avatars/alice.svg', stack.issuer).href,
    });
    const idToken = decodeJwt(tokens.responses[0]!.id_token as string);
    expect(idToken.iss).toBe(stack.issuer);
    expect('name' in idToken).toBe(stack.traits.profileInIdToken);
    const request = new URL(browserOpener.opened[0]!);
    if (stack.second !== undefined) {
      // No PAR at the second provider: the request is in the URL, with its fixed redirect URI.
      expect(request.searchParams.get('redirect_uri')).toBe(stack.second.redirectUri);
    } else {
      // RFC 9126: the local provider takes pushed requests, so the browser gets only these two.
      expect([...request.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    }
    expect(vault.value).toBeDefined();
  });

  it('calls the API with the access token', async () => {
    const response = await instances.list[0]!.fetchApi('/private');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(MESSAGE);
  });

  it('restores the session in a new instance with one refresh grant, keeping a refresh token that was not rotated', async () => {
    const before = refreshTokenOf();
    tokens.grants.length = 0;
    const second = auth({
      openBrowser: () => Promise.reject(new Error('restore must not open the browser')),
    });
    expect(await second.restore()).toBe('signed-in');
    expect(tokens.grants).toEqual(['refresh_token']);
    expect(refreshTokenOf() !== before).toBe(stack.traits.rotatesRefreshTokens);
    expect(await second.getProfile()).toMatchObject({ name: 'Alice Liddell', email: 'alice@example.com' });
    expect((await second.fetchApi('/private')).status).toBe(200);
  });

  it('refreshes once at expiry for many callers, and the API takes the new access token', async () => {
    const instance = instances.list[1]!;
    const before = await instance.getAccessToken();
    const refreshTokenBefore = refreshTokenOf();
    tokens.grants.length = 0;
    clockOffset = instance.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
    const fresh = await Promise.all(Array.from({ length: 20 }, () => instance.getAccessToken()));
    clockOffset = 0;
    expect(tokens.grants).toEqual(['refresh_token']);
    expect(new Set(fresh)).toEqual(new Set([fresh[0]]));
    expect(fresh[0]).not.toBe(before);
    expect(refreshTokenOf() !== refreshTokenBefore).toBe(stack.traits.rotatesRefreshTokens);
    expect((await instance.fetchApi('/private')).status).toBe(200);
    // The profile is still complete after the refresh replaced the ID token.
    expect(await instance.getProfile()).toMatchObject({ name: 'Alice Liddell', picture: expect.any(String) });
  });

  it('the API refuses every ID token the provider issued, though some name the API in aud', async () => {
    const idTokens = tokens.responses
      .map((r) => r.id_token)
      .filter((t): t is string => typeof t === 'string');
    expect(idTokens.length).toBeGreaterThanOrEqual(2);
    for (const idToken of idTokens) {
      const response = await fetch(`${stack.api.url}/private`, {
        headers: { authorization: `Bearer ${idToken}` },
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  it('signs out: clears vault and memory, revokes where the provider can, and ends the provider session', async () => {
    const instance = instances.list[1]!;
    const refreshToken = refreshTokenOf();
    // The browser opens the library's one-shot loopback page, which posts the logout form.
    const posted = page.waitForRequest((request) => request.method() === 'POST');
    const logout = async (url: string) => {
      browserOpener.opened.push(url);
      await page.goto(url);
      await page.getByRole('button', { name: 'Sign out' }).click();
    };
    const signingOut = auth({ openBrowser: logout });
    expect(await signingOut.restore()).toBe('signed-in');
    const result = await signingOut.signOut({ endProviderSession: true, timeoutMs: 30_000 });
    expect(result).toMatchObject({ revoked: stack.traits.revokes, providerSessionEnded: true });
    expect(vault.value).toBeUndefined();
    expect(signingOut.state).toBe('signed-out');
    await page.waitForURL(/\/logout\?/);
    expect(await page.textContent('h1')).toBe('You are signed out');
    expect(browserOpener.opened.at(-1)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
    const endSession = new URLSearchParams((await posted).postData() ?? '');
    expect(endSession.get('id_token_hint')).toMatch(/^ey/);
    if (stack.second !== undefined) {
      expect(endSession.get('post_logout_redirect_uri')).toBe(stack.second.postLogoutRedirectUri);
    }

    // Without revocation the provider still honours the refresh token; with it, no longer.
    const stale = await fetch(new URL(stack.second === undefined ? '/token' : '/oauth/token', stack.issuer), {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: stack.clientId,
      }),
    });
    expect(stale.ok).toBe(!stack.traits.revokes);
    instance.close();
  });

  it('after sign-out the provider asks for the password again', async () => {
    const shownBefore = browserOpener.loginPagesShown;
    await auth().signIn();
    expect(browserOpener.loginPagesShown).toBe(shownBefore + 1);
  });

  it('no token reached the logger', () => {
    const text = logger.lines.join('\n');
    expect(text).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
    for (const response of tokens.responses) {
      if (typeof response.refresh_token === 'string') expect(text).not.toContain(response.refresh_token);
    }
  });
});

describe('rules of the second provider profile', () => {
  let stack: ProfileStack;
  let omitting: ProfileStack;
  let browser: Browser;
  let page: Page;
  const instances = new OpenInstances<DesktopAuth>();

  beforeAll(async () => {
    [stack, omitting, browser] = await Promise.all([
      startProfile('second'),
      startProfile('second', { refreshTokenAnswer: 'omitted' }),
      launchBrowser(),
    ]);
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    instances.closeAll();
    await browser?.close();
    await stack?.close();
    await omitting?.close();
  });

  const auth = (target: ProfileStack, options: Partial<DesktopAuthOptions> = {}): DesktopAuth => {
    const instance = createDesktopAuth({
      config: target.config,
      logger: recordingLogger(),
      openBrowser: systemBrowser(page).open,
      ...options,
    });
    instances.add(instance);
    return instance;
  };

  it('a refresh answered without a refresh token keeps the old one in the vault, and it keeps working', async () => {
    const vault = new TestVault();
    let clockOffset = 0;
    const tokens: TokenLog = { grants: [], responses: [] };
    const instance = auth(omitting, {
      vault,
      now: () => Date.now() + clockOffset,
      fetch: tokenLoggingFetch(tokens),
    });
    await instance.signIn();
    const stored = vault.value;
    for (let round = 1; round <= 2; round++) {
      clockOffset = instance.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
      await instance.getAccessToken();
      clockOffset = 0;
      expect(tokens.responses.at(-1)).not.toHaveProperty('refresh_token');
      expect(vault.value).toBe(stored);
      expect(instance.state).toBe('signed-in');
      expect((await instance.fetchApi('/private')).status).toBe(200);
    }
    expect(tokens.grants).toEqual(['authorization_code', 'refresh_token', 'refresh_token']);
  });

  it('a userinfo outage at sign-in leaves the profile incomplete only until userinfo answers again', async () => {
    let clockOffset = 0;
    const instance = auth(stack, { now: () => Date.now() + clockOffset });
    stack.second!.tampering.userinfoFailures = 1;
    // The profile lives in userinfo only: while it fails, the app knows alice by her sub.
    expect(await instance.signIn()).toEqual({ sub: 'alice' });
    expect(stack.second!.tampering.userinfoFailures).toBe(0);
    // Within the back-off nothing is asked again; after it, the profile is completed.
    const asked = stack.second!.hits.get('/userinfo');
    expect(await instance.getProfile()).toEqual({ sub: 'alice' });
    expect(stack.second!.hits.get('/userinfo')).toBe(asked);
    clockOffset = 40_000;
    expect(await instance.getProfile()).toEqual({
      sub: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.com',
      picture: new URL('/avatars/alice.svg', stack.issuer).href,
    });
  });

  it('the redirect URI is registered with one port: doctor passes with redirectPort and fails without it', async () => {
    const { redirectPort: _port, ...anyPort } = stack.config;
    const report = await diagnoseProvider(defineConfig(anyPort));
    expect(report.passed).toBe(false);
    expect(report.checks.find((c) => c.id === 'authorization-request')).toMatchObject({ verdict: 'fail' });
    // And the provider shows an error instead of redirecting to the unregistered port.
    const wrongPort = new URL('/authorize', stack.issuer);
    wrongPort.search = new URLSearchParams({
      client_id: stack.clientId,
      redirect_uri: `http://127.0.0.1:${stack.second!.redirectPort + 1}/callback`,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const answer = await fetch(wrongPort, { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    await answer.body?.cancel();
  });

  it('doctor passes against the second profile, warning that it has no revocation and no RFC 9207 iss', async () => {
    const report = await diagnoseProvider(defineConfig(stack.config));
    const verdicts = Object.fromEntries(report.checks.map((c) => [c.id, c.verdict]));
    expect(report.passed).toBe(true);
    expect(verdicts).toMatchObject({
      revocation: 'warn',
      'iss-parameter': 'warn',
      'authorization-request': 'ok',
    });
    expect(
      Object.entries(verdicts)
        .filter(([, v]) => v !== 'ok')
        .map(([id]) => id)
        .sort(),
    ).toEqual(['iss-parameter', 'revocation']);
    expect(report.checks.find((c) => c.id === 'issuer')?.message).toContain(`"${stack.issuer}"`);
  });

  it('an authorization response with the right iss is accepted, though the provider does not advertise it', async () => {
    stack.second!.tampering.authorizationResponseIss = stack.issuer;
    try {
      await expect(auth(stack).signIn()).resolves.toMatchObject({ name: 'Alice Liddell' });
    } finally {
      stack.second!.tampering.authorizationResponseIss = undefined;
    }
  });

  it('an authorization response with a wrong iss is refused (RFC 9207 §2.4), though the provider does not advertise it', async () => {
    stack.second!.tampering.authorizationResponseIss = 'http://127.0.0.1:1/';
    try {
      const instance = auth(stack);
      await expect(instance.signIn()).rejects.toMatchObject({ code: 'ERR_RESPONSE_INVALID' });
      expect(instance.state).toBe('signed-out');
    } finally {
      stack.second!.tampering.authorizationResponseIss = undefined;
    }
  });

  it('tokens look as the profile says: typ JWT access tokens and ID tokens, both with aud arrays naming client and API', async () => {
    const tokens: TokenLog = { grants: [], responses: [] };
    await auth(stack, { fetch: tokenLoggingFetch(tokens) }).signIn();
    const { access_token: accessToken, id_token: idToken } = tokens.responses[0] as Record<string, string>;
    expect(decodeProtectedHeader(accessToken!).typ).toBe('JWT');
    expect(decodeJwt(accessToken!)).toMatchObject({
      iss: stack.issuer,
      aud: [stack.second!.apiAudience, stack.clientId],
      scope: expect.stringContaining('read:messages'),
    });
    const id = decodeJwt(idToken!);
    expect(id).toMatchObject({
      iss: stack.issuer,
      aud: [stack.clientId, stack.second!.apiAudience],
      azp: stack.clientId,
    });
    expect(id).not.toHaveProperty('name');
    expect(id).not.toHaveProperty('email');
  });
});
