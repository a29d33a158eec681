/**
 * Step-up authentication (RFC 9470) end to end, in process: the library
 * against the local provider and the API's `GET /private/sensitive`, which
 * wants a sign-in with a one-time code (ACR_OTP) no more than 5 minutes old.
 * Chromium plays the user's browser: password, then the code.
 */
import {
  completeStepUp,
  finishInteraction,
  launchBrowser,
  OpenInstances,
  TestVault,
} from '@electron-oidc/test-support';
import type { DemoCredentials } from '@electron-oidc/test-support';
import { ACR_OTP, ACR_PASSWORD } from '@electron-oidc/dev-idp/acr';
import { decodeJwt } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import { isAuthError } from '../../../src/core/errors.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';
import { alice, authFor, countingFetch, requestParameters } from './harness.ts';
import type { CountingFetch } from './harness.ts';

const bob: DemoCredentials = { username: 'bob', password: 'builder' };
const SENSITIVE = 'Only recently verified users can read this sensitive message.';

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
const instances = new OpenInstances<DesktopAuth>();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
});
afterEach(async () => {
  instances.closeAll();
  await context?.close();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * The user's browser: the first URL is a plain password sign-in, every later
 * one a step-up, completed as `stepUpAs` with the code the provider issued.
 */
function userBrowser(stepUpAs: DemoCredentials = alice) {
  const opened: URL[] = [];
  const pages: Page[] = [];
  let done: Promise<void> = Promise.resolve();
  const open = async (url: string): Promise<void> => {
    opened.push(new URL(url));
    const page = await context.newPage();
    pages.push(page);
    const first = opened.length === 1;
    done = (async () => {
      await page.goto(url);
      if (first) await finishInteraction(page, alice);
      else await completeStepUp(page, stepUpAs, (account) => stack.lastOneTimeCode(account));
    })();
  };
  const lastPageText = async (): Promise<string> => {
    await done;
    const page = pages.at(-1)!;
    await page.waitForLoadState('load');
    return page.locator('body').innerText();
  };
  return { open, opened, settled: () => done, lastPageText };
}

/** Alice, signed in with her password only (ACR_PASSWORD). */
async function signedInWithPassword(stepUpAs?: DemoCredentials) {
  context = await browser.newContext();
  const user = userBrowser(stepUpAs);
  const counter: CountingFetch = countingFetch();
  const vault = new TestVault();
  const auth = instances.add(authFor(stack, { openBrowser: user.open, fetch: counter.fetch, vault }));
  await auth.signIn();
  await user.settled();
  return { auth, user, counter, vault };
}

/** The `acr` of the access token the session holds now. */
async function accessTokenAcr(auth: DesktopAuth): Promise<unknown> {
  return decodeJwt(await auth.getAccessToken()).acr;
}

describe('step-up authentication (RFC 9470) against the local provider and API', () => {
  it('a password sign-in is refused by /private/sensitive with ERR_STEP_UP_REQUIRED naming ACR_OTP, and no browser opens', async () => {
    const { auth, user } = await signedInWithPassword();
    expect(await accessTokenAcr(auth)).toBe(ACR_PASSWORD);
    const refused = await auth.fetchApi('/private/sensitive').catch((err: unknown) => err);
    expect(isAuthError(refused, 'ERR_STEP_UP_REQUIRED')).toBe(true);
    // The sign-in is minutes old at most, so only the class fell short.
    expect((refused as { stepUp: unknown }).stepUp).toEqual({ acrValues: [ACR_OTP], maxAge: undefined });
    expect(user.opened).toHaveLength(1);
    expect(auth.state).toBe('signed-in');
    // The rest of the API still answers the session as it is.
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it("stepUp: 'auto' signs the same user in again with acr_values (password and one-time code) and the retry answers", async () => {
    const { auth, user, counter, vault } = await signedInWithPassword();
    const before = { profile: await auth.getProfile(), stored: vault.value };
    const response = await auth.fetchApi('/private/sensitive', { stepUp: 'auto' });
    await user.settled();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: SENSITIVE });

    expect(user.opened).toHaveLength(2);
    const asked = requestParameters(user.opened[1]!, counter);
    expect(asked.get('acr_values')).toBe(ACR_OTP);
    // The provider needs no prompt=login to ask again: acr_values does it.
    expect(asked.get('prompt') ?? '').not.toContain('login');
    // The tokens were replaced, for the same user, and the new refresh token stored.
    expect(await accessTokenAcr(auth)).toBe(ACR_OTP);
    expect((await auth.getProfile())?.sub).toBe(before.profile?.sub);
    expect(vault.value).not.toBe(before.stored);
    expect(auth.state).toBe('signed-in');
  });

  it('auth.stepUp() with the error’s requirement, then the call again: the app asks the user first', async () => {
    const { auth, user } = await signedInWithPassword();
    const refused = await auth.fetchApi('/private/sensitive').catch((err: unknown) => err);
    if (!isAuthError(refused, 'ERR_STEP_UP_REQUIRED') || refused.stepUp === undefined) throw refused;
    const profile = await auth.stepUp(refused.stepUp);
    await user.settled();
    expect(profile.name).toBe('Alice Liddell');
    const response = await auth.fetchApi('/private/sensitive');
    expect(await response.json()).toEqual({ message: SENSITIVE });
  });

  it('attacker: a step-up completed as another user is refused (ERR_SUBJECT_CHANGED) and the session stays as it was', async () => {
    const { auth, user, vault } = await signedInWithPassword(bob);
    const before = {
      sub: (await auth.getProfile())?.sub,
      stored: vault.value,
      token: await auth.getAccessToken(),
    };
    await expect(auth.fetchApi('/private/sensitive', { stepUp: 'auto' })).rejects.toMatchObject({
      code: 'ERR_SUBJECT_CHANGED',
    });
    await user.settled();
    expect(user.opened).toHaveLength(2);
    expect((await auth.getProfile())?.sub).toBe(before.sub);
    expect(vault.value).toBe(before.stored);
    expect(await auth.getAccessToken()).toBe(before.token);
    expect(auth.state).toBe('signed-in');
    // The browser tab says the sign-in was not used, not "You are signed in".
    expect(await user.lastPageText()).toMatch(/did not complete/i);
  });

  it('a step-up while signed out is ERR_NOT_SIGNED_IN, and opens nothing', async () => {
    context = await browser.newContext();
    const user = userBrowser();
    const auth = instances.add(authFor(stack, { openBrowser: user.open }));
    await expect(auth.stepUp({ acrValues: [ACR_OTP], maxAge: undefined })).rejects.toMatchObject({
      code: 'ERR_NOT_SIGNED_IN',
    });
    expect(user.opened).toEqual([]);
  });
});
