import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser } from '@electron-oidc/test-support';
import { ACR_OTP, ACR_PASSWORD } from '@electron-oidc/dev-idp/acr';
import type { RunningIdp } from '../src/index.ts';
import type { LoopbackTarget } from './support.ts';
import {
  ALICE,
  SCOPE,
  discover,
  makeDataDir,
  removeDir,
  startLoopbackTarget,
  startTestIdp,
} from './support.ts';

// RFC 9470 step-up against the provider: the acr a sign-in reaches, the one-time
// code page, and how acr, amr and auth_time reach the ID token and the API's
// access token.

let browser: Browser;
let dataDir: string;
let idp: RunningIdp;
let config: client.Configuration;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let target: LoopbackTarget;
let context: BrowserContext;
/** Every code the provider issued, newest last, as its onOneTimeCode option received them. */
const issuedCodes: Array<{ accountId: string; code: string }> = [];

beforeAll(async () => {
  dataDir = await makeDataDir();
  idp = await startTestIdp(dataDir, {
    onOneTimeCode: (accountId, code) => issuedCodes.push({ accountId, code }),
  });
  config = await discover(idp);
  jwks = createRemoteJWKSet(new URL(`${idp.issuer}/jwks`));
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

interface Started {
  page: Page;
  checks: client.AuthorizationCodeGrantChecks;
}

/** Opens the authorization request in the browser, with `params` on top of the app's usual ones. */
async function startSignIn(params: Record<string, string> = {}, page?: Page): Promise<Started> {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `${target.origin}/callback`,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
    ...params,
  });
  const tab = page ?? (await context.newPage());
  await tab.goto(url.href);
  const maxAge = params['max_age'] === undefined ? undefined : Number(params['max_age']);
  return { page: tab, checks: { pkceCodeVerifier, expectedState, expectedNonce, maxAge } };
}

async function enterPassword(page: Page, { username, password } = ALICE): Promise<number> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  const response = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in' }).click();
  return (await response).status();
}

async function enterCode(page: Page, code: string): Promise<number> {
  await page.getByLabel('One-time code').fill(code);
  const response = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Verify' }).click();
  return (await response).status();
}

/** The code just issued for `accountId`, once the code page shows. */
async function codeShownFor(page: Page, accountId = 'alice'): Promise<string> {
  await page.getByLabel('One-time code').waitFor();
  const issued = issuedCodes.findLast((entry) => entry.accountId === accountId);
  expect(issued).toBeDefined();
  return issued!.code;
}

/** Consents if asked, waits for the redirect to the app and redeems the code. */
async function finishSignIn({ page, checks }: Started): Promise<client.TokenEndpointResponse> {
  const back = page.waitForURL((url) => url.origin === target.origin);
  const allow = page.getByRole('button', { name: 'Allow' });
  const asked = await Promise.race([
    back.then(() => false),
    allow.waitFor().then(
      () => true,
      () => false,
    ),
  ]);
  if (asked) await allow.click();
  await back;
  return client.authorizationCodeGrant(config, new URL(page.url()), checks);
}

async function accessTokenClaims(tokens: client.TokenEndpointResponse): Promise<JWTPayload> {
  const { payload } = await jwtVerify(tokens.access_token, jwks, {
    issuer: idp.issuer,
    audience: idp.apiResource,
  });
  return payload;
}

async function idTokenClaims(tokens: client.TokenEndpointResponse): Promise<JWTPayload> {
  const { payload } = await jwtVerify(tokens.id_token ?? '', jwks, {
    issuer: idp.issuer,
    audience: idp.clientId,
  });
  return payload;
}

function expectNow(seconds: unknown): void {
  expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(10);
}

/** A sign-in with the password and the one-time code, leaving the provider session in `context`. */
async function signInWithCode(params: Record<string, string> = {}): Promise<client.TokenEndpointResponse> {
  const started = await startSignIn({ acr_values: ACR_OTP, ...params });
  await enterPassword(started.page);
  await enterCode(started.page, await codeShownFor(started.page));
  return finishSignIn(started);
}

describe('discovery', () => {
  it('advertises the two authentication contexts and the claims parameter', () => {
    const metadata = config.serverMetadata();
    expect(metadata.acr_values_supported).toEqual([ACR_PASSWORD, ACR_OTP]);
    expect(metadata.claims_parameter_supported).toBe(true);
  });
});

describe('a sign-in that asks for nothing more', () => {
  it('takes the password alone and reaches ACR_PASSWORD, in the access token and the ID token', async () => {
    const started = await startSignIn();
    await enterPassword(started.page);
    const tokens = await finishSignIn(started);
    const access = await accessTokenClaims(tokens);
    expect(access).toMatchObject({ acr: ACR_PASSWORD, amr: ['pwd'] });
    expectNow(access['auth_time']);
    expect(await idTokenClaims(tokens)).toMatchObject({
      acr: ACR_PASSWORD,
      amr: ['pwd'],
      auth_time: access['auth_time'],
    });
  });
});

describe('a sign-in with acr_values=ACR_OTP', () => {
  it('asks for the one-time code after the password, on an accessible page', async () => {
    const started = await startSignIn({ acr_values: ACR_OTP });
    // POST-redirect-GET: back to the interaction, which now shows the code page.
    expect(await enterPassword(started.page)).toBe(303);
    const { page } = started;
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Enter your one-time code',
    );
    const field = page.getByLabel('One-time code');
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await expect(page.getByRole('main').textContent()).resolves.toContain('Alice Liddell');
    expect(issuedCodes.at(-1)?.accountId).toBe('alice');
  });

  it('reaches ACR_OTP with the code from onOneTimeCode: acr, amr and a fresh auth_time in the access token', async () => {
    const tokens = await signInWithCode();
    const access = await accessTokenClaims(tokens);
    expect(access).toMatchObject({ acr: ACR_OTP, amr: ['pwd', 'otp'] });
    expectNow(access['auth_time']);
    expect(await idTokenClaims(tokens)).toMatchObject({ acr: ACR_OTP, amr: ['pwd', 'otp'] });
  });

  it('keeps acr and auth_time of the sign-in in access tokens from a refresh', async () => {
    const tokens = await signInWithCode();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const [before, after] = await Promise.all([accessTokenClaims(tokens), accessTokenClaims(refreshed)]);
    expect(after).toMatchObject({ acr: ACR_OTP, auth_time: before['auth_time'] });
  });

  it('refuses a wrong code with 401 and an announced error, then takes the right one', async () => {
    const started = await startSignIn({ acr_values: ACR_OTP });
    await enterPassword(started.page);
    const code = await codeShownFor(started.page);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(await enterCode(started.page, wrong)).toBe(401);
    await expect(started.page.getByRole('alert').textContent()).resolves.toBe(
      'That code is not right. 4 attempts left.',
    );
    expect(await started.page.getByLabel('One-time code').getAttribute('aria-invalid')).toBe('true');
    await enterCode(started.page, code);
    expect(await accessTokenClaims(await finishSignIn(started))).toMatchObject({ acr: ACR_OTP });
  });

  it('ends the sign-in with access_denied after 5 wrong codes', async () => {
    const started = await startSignIn({ acr_values: ACR_OTP });
    await enterPassword(started.page);
    const wrong = String((Number(await codeShownFor(started.page)) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 4; i++) expect(await enterCode(started.page, wrong)).toBe(401);
    await enterCode(started.page, wrong);
    await started.page.waitForURL((url) => url.origin === target.origin);
    const callback = new URL(started.page.url());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(started.checks.expectedState);
  });

  it('refuses a code that was already used', async () => {
    await signInWithCode();
    const used = issuedCodes.at(-1)!.code;
    const again = await startSignIn({ acr_values: ACR_OTP, prompt: 'login' });
    await enterPassword(again.page);
    const fresh = await codeShownFor(again.page);
    expect(fresh).not.toBe(used);
    expect(await enterCode(again.page, used)).toBe(401);
    await expect(again.page.getByRole('alert').textContent()).resolves.toMatch(/^That code is not right/);
  });

  it('steps up a session that had the password only: password and code again', async () => {
    const first = await startSignIn();
    await enterPassword(first.page);
    await finishSignIn(first);
    const stepUp = await startSignIn({ acr_values: ACR_OTP }, first.page);
    await enterPassword(stepUp.page);
    await enterCode(stepUp.page, await codeShownFor(stepUp.page));
    expect(await accessTokenClaims(await finishSignIn(stepUp))).toMatchObject({ acr: ACR_OTP });
  });

  it('answers login_required to prompt=none when the session had the password only', async () => {
    const first = await startSignIn();
    await enterPassword(first.page);
    await finishSignIn(first);
    const silent = await startSignIn({ acr_values: ACR_OTP, prompt: 'none' }, first.page);
    await silent.page.waitForURL((url) => url.origin === target.origin);
    expect(new URL(silent.page.url()).searchParams.get('error')).toBe('login_required');
  });

  it('reuses a session that already reached ACR_OTP', async () => {
    await signInWithCode();
    const again = await startSignIn({ acr_values: ACR_OTP });
    expect(await accessTokenClaims(await finishSignIn(again))).toMatchObject({ acr: ACR_OTP });
  });
});

describe('a sign-in that asks for ACR_OTP in the claims parameter (OIDC Core §5.5.1.1)', () => {
  it('asks for the one-time code when acr is essential with that value', async () => {
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR_OTP] } } });
    const started = await startSignIn({ claims });
    await enterPassword(started.page);
    await enterCode(started.page, await codeShownFor(started.page));
    expect(await idTokenClaims(await finishSignIn(started))).toMatchObject({ acr: ACR_OTP });
  });
});

describe('a fresh sign-in on demand', () => {
  it('prompt=login asks for the password although the session is valid', async () => {
    const first = await startSignIn();
    await enterPassword(first.page);
    await finishSignIn(first);
    const again = await startSignIn({ prompt: 'login' }, first.page);
    expect(await enterPassword(again.page)).toBe(303);
    expect(await accessTokenClaims(await finishSignIn(again))).toMatchObject({ acr: ACR_PASSWORD });
  });

  it('max_age=0 asks for the password again and moves auth_time forward', async () => {
    const first = await startSignIn();
    await enterPassword(first.page);
    const before = await accessTokenClaims(await finishSignIn(first));
    // auth_time has a resolution of one second; max_age=0 means "older than now".
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await startSignIn({ max_age: '0' }, first.page);
    expect(await enterPassword(again.page)).toBe(303);
    const after = await accessTokenClaims(await finishSignIn(again));
    expect(Number(after['auth_time'])).toBeGreaterThan(Number(before['auth_time']));
  });
});
