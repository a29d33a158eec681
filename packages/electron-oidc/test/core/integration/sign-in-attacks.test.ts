import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { finishInteraction, launchBrowser, OpenInstances, TestVault } from '@electron-oidc/test-support';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import { AuthError } from '../../../src/core/errors.ts';
import {
  alice,
  authFor,
  browserOpener,
  countingFetch,
  discoverDirectly,
  providerSigningKey,
  requestParameters,
} from './harness.ts';
import type { CountingFetch } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
const instances = new OpenInstances<DesktopAuth>();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  context = await browser.newContext();
});
afterEach(() => {
  instances.closeAll();
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

/**
 * An opener that only records the URL: the test decides what the "browser"
 * does. `request` is what the provider received (pushed, RFC 9126, when the
 * URL carries a `request_uri`): pass `fetch` (or the counter's) to the library.
 */
function capturingOpener(counter: CountingFetch = countingFetch()) {
  let resolve!: (url: URL) => void;
  const url = new Promise<URL>((r) => (resolve = r));
  const request = url.then((u) => requestParameters(u, counter));
  // Only awaited by the tests that read it.
  request.catch(() => {});
  return { open: async (u: string) => resolve(new URL(u)), url, request, fetch: counter.fetch };
}

/** Sends a request to the loopback listener the way an attacker's page or process could. */
async function hitCallback(redirectUri: string, params: Record<string, string>): Promise<number> {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url);
  await res.body?.cancel();
  return res.status;
}

async function expectRefused(url: string): Promise<void> {
  await expect(fetch(url)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
}

async function signInWithPage(auth: DesktopAuth, page: Page, opened: Promise<URL>) {
  const pending = auth.signIn();
  pending.catch(() => {});
  const url = await opened;
  await page.goto(url.href);
  await finishInteraction(page, alice);
  const profile = await pending;
  // The tab has the listener's result page; let it finish loading before anyone closes the tab.
  await page.waitForLoadState('load');
  return profile;
}

/**
 * Closes a tab that may still hold a connection to a loopback listener that has
 * since closed: leaving it for about:blank first keeps Playwright's close from
 * waiting on that connection (seen to hang under load).
 */
async function closeTab(page: Page): Promise<void> {
  await page.goto('about:blank').catch(() => {});
  await page.close();
}

describe('the loopback redirect, from the attacker’s side', () => {
  it('a forged callback (wrong or missing state) is answered 400 and does not end or hijack the pending sign-in', async () => {
    const page = await context.newPage();
    const counter = countingFetch();
    const opener = capturingOpener(counter);
    const auth = instances.add(authFor(stack, { openBrowser: opener.open, fetch: counter.fetch }));
    const pending = auth.signIn();
    const url = await opener.url;
    const redirectUri = (await opener.request).get('redirect_uri')!;

    expect(
      await hitCallback(redirectUri, { code: 'attacker-code', state: 'forged', iss: stack.idp.issuer }),
    ).toBe(400);
    expect(await hitCallback(redirectUri, { code: 'attacker-code', iss: stack.idp.issuer })).toBe(400);
    expect(auth.state).toBe('signing-in');
    expect(counter.grants).toEqual([]);

    await page.goto(url.href);
    await finishInteraction(page, alice);
    expect((await pending).name).toBe('Alice Liddell');
    expect(counter.grants).toEqual(['authorization_code']);

    // Replaying the real callback afterwards: the listener is gone.
    await expectRefused(page.url());
    await closeTab(page);
  });

  it('a replayed callback sent to a new sign-in is ignored (its state belongs to another request)', async () => {
    const page = await context.newPage();
    const first = capturingOpener();
    const auth = instances.add(authFor(stack, { openBrowser: first.open }));
    await signInWithPage(auth, page, first.url);
    const oldCallback = new URL(page.url());

    const second = capturingOpener();
    const auth2 = instances.add(authFor(stack, { openBrowser: second.open, fetch: second.fetch }));
    const pending = auth2.signIn();
    pending.catch(() => {});
    const redirectUri = (await second.request).get('redirect_uri')!;
    expect(await hitCallback(redirectUri, Object.fromEntries(oldCallback.searchParams))).toBe(400);
    expect(auth2.state).toBe('signing-in');

    auth2.cancelSignIn();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_SIGN_IN_CANCELLED' });
    await expectRefused(redirectUri);
    expect(auth2.state).toBe('signed-out');
    await closeTab(page);
  });

  it('a callback with another issuer in `iss` (RFC 9207 mix-up) is rejected before any code exchange', async () => {
    const counter = countingFetch();
    const opener = capturingOpener(counter);
    const vault = new TestVault();
    const auth = instances.add(authFor(stack, { openBrowser: opener.open, fetch: counter.fetch, vault }));
    const pending = auth.signIn();
    pending.catch(() => {});
    const request = await opener.request;
    const state = request.get('state')!;
    expect(
      await hitCallback(request.get('redirect_uri')!, {
        code: 'attacker-code',
        state,
        iss: 'https://attacker.example',
      }),
    ).toBe(400);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RESPONSE_INVALID' });
    expect(counter.grants).toEqual([]);
    expect(vault.value).toBeUndefined();
    expect(auth.state).toBe('signed-out');
  });

  it('a callback without `iss` from a provider that promises it (RFC 9207 §2.4) is rejected', async () => {
    const counter = countingFetch();
    const opener = capturingOpener(counter);
    const auth = instances.add(authFor(stack, { openBrowser: opener.open, fetch: counter.fetch }));
    const pending = auth.signIn();
    pending.catch(() => {});
    const request = await opener.request;
    await hitCallback(request.get('redirect_uri')!, {
      code: 'c',
      state: request.get('state')!,
    });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RESPONSE_INVALID' });
    expect(counter.grants).toEqual([]);
  });

  /**
   * Starts a sign-in and opens, in a browser tab, a callback with the pending `state` and the
   * given error parameters, as anyone who read the state from the launcher's command line could.
   * Resolves with the sign-in's error and the text the tab shows.
   */
  async function failWithCallback(params: Record<string, string>) {
    const page = await context.newPage();
    const opener = capturingOpener();
    const auth = instances.add(authFor(stack, { openBrowser: opener.open, fetch: opener.fetch }));
    const pending = auth.signIn();
    pending.catch(() => {});
    const request = await opener.request;
    const callback = new URL(request.get('redirect_uri')!);
    const all = { ...params, state: request.get('state')!, iss: stack.idp.issuer };
    for (const [k, v] of Object.entries(all)) callback.searchParams.set(k, v);
    await page.goto(callback.href);
    const err = (await pending.catch((e: unknown) => e)) as AuthError;
    const shown = (await page.textContent('body')) ?? '';
    await closeTab(page);
    return { err, shown };
  }

  it('a provider error in the callback surfaces as ERR_PROVIDER_ERROR with its registered code, never its description', async () => {
    const { err, shown } = await failWithCallback({
      error: 'temporarily_unavailable',
      error_description: '<b>maintenance</b>: call +1-555-0100',
    });
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'ERR_PROVIDER_ERROR', oauthError: 'temporarily_unavailable' });
    expect(err.oauthErrorDescription).toBeUndefined();
    expect(err.message).not.toMatch(/maintenance|555/);
    expect(shown).not.toMatch(/maintenance|555/);
  });

  it('an attacker’s text as the `error` code reaches neither the error nor the tab: it is server_error', async () => {
    const { err, shown } = await failWithCallback({
      error: 'Your account is locked. Call +1-555-0100',
      error_uri: 'https://attacker.example/unlock',
    });
    expect(err).toMatchObject({ code: 'ERR_PROVIDER_ERROR', oauthError: 'server_error' });
    expect(err.oauthErrorDescription).toBeUndefined();
    expect(`${err.message} ${JSON.stringify(err.cause)}`).not.toMatch(/locked|555|attacker/);
    expect(shown).toContain('server_error');
    expect(shown).not.toMatch(/locked|555|attacker/);
  });

  it('the user denying consent surfaces ERR_PROVIDER_DENIED (access_denied) and the tab says so', async () => {
    const fresh = await browser.newContext();
    const page = await fresh.newPage();
    const vault = new TestVault();
    const auth = instances.add(
      authFor(stack, {
        vault,
        openBrowser: async (url) => {
          await page.goto(url);
          await page.getByLabel('Username').fill(alice.username);
          await page.getByLabel('Password').fill(alice.password);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.getByRole('button', { name: 'Deny' }).click();
        },
      }),
    );
    const err = (await auth.signIn().catch((e: unknown) => e)) as AuthError;
    expect(err).toMatchObject({ code: 'ERR_PROVIDER_DENIED', oauthError: 'access_denied' });
    expect(err.message).toMatch(/denied/i);
    await page.waitForURL(/\/callback\?/);
    expect(await page.textContent('h1')).toBe('Sign-in did not complete');
    expect(auth.state).toBe('signed-out');
    expect(vault.value).toBeUndefined();
    await fresh.close();
  });
});

describe('ID token verification, with the token endpoint response tampered', () => {
  type Tamper = (payload: JWTPayload) => JWTPayload;
  let page: Page | undefined;

  async function signInTampered(change: Tamper, signWith: 'provider' | 'foreign') {
    const key =
      signWith === 'provider'
        ? await importJWK(await providerSigningKey(stack), 'RS256')
        : (await generateKeyPair('RS256')).privateKey;
    const counter: CountingFetch = countingFetch();
    counter.tamper = async (_url, init, response) => {
      if (!(init.body instanceof URLSearchParams) || init.body.get('grant_type') !== 'authorization_code')
        return response;
      const body = (await response.json()) as { id_token: string };
      const header = decodeProtectedHeader(body.id_token);
      body.id_token = await new SignJWT(change(decodeJwt(body.id_token)))
        .setProtectedHeader({ alg: 'RS256', kid: header.kid!, typ: header.typ })
        .sign(key);
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };
    // One tab for all cases: the provider remembers alice, so each sign-in redirects straight back.
    page ??= await context.newPage();
    const vault = new TestVault();
    const opener = browserOpener(page);
    const auth = instances.add(authFor(stack, { vault, fetch: counter.fetch, openBrowser: opener.open }));
    const outcome = await auth.signIn().then(
      (profile) => ({ profile, error: undefined }),
      (error: unknown) => ({ profile: undefined, error }),
    );
    await opener.settled();
    return { ...outcome, auth, vault };
  }

  it('control: the same re-signing with the provider key and no change is accepted', async () => {
    const { profile, error } = await signInTampered((p) => p, 'provider');
    expect(error).toBeUndefined();
    expect(profile?.name).toBe('Alice Liddell');
  });

  it.each<[string, Tamper, 'provider' | 'foreign']>([
    ['signed with a key that is not in the provider JWKS', (p) => p, 'foreign'],
    ['issued for another audience', (p) => ({ ...p, aud: 'another-client' }), 'provider'],
    ['carrying another nonce', (p) => ({ ...p, nonce: 'replayed-nonce' }), 'provider'],
    ['expired', (p) => ({ ...p, iat: p.iat! - 7200, exp: p.iat! - 3600 }), 'provider'],
    ['from another issuer', (p) => ({ ...p, iss: 'https://attacker.example' }), 'provider'],
  ])('an ID token %s is rejected: ERR_ID_TOKEN_INVALID, nothing stored', async (_label, change, key) => {
    const { error, auth, vault } = await signInTampered(change, key);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'ERR_ID_TOKEN_INVALID' });
    expect(auth.state).toBe('signed-out');
    expect(vault.value).toBeUndefined();
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
  });
});

describe('the unlucky user', () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    if (blocker !== undefined) await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    blocker = undefined;
  });

  it('a configured redirect port that is taken fails with ERR_REDIRECT_PORT_IN_USE before the browser opens', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    let opened = false;
    const auth = instances.add(
      authFor(stack, { config: { redirectPort: port }, openBrowser: async () => void (opened = true) }),
    );
    const err = (await auth.signIn().catch((e: unknown) => e)) as AuthError;
    expect(err).toMatchObject({ code: 'ERR_REDIRECT_PORT_IN_USE', option: 'redirectPort' });
    expect(err.message).toContain(String(port));
    expect(opened).toBe(false);
    expect(auth.state).toBe('signed-out');
  });

  it('the browser never comes back: the sign-in times out and the listener is closed', async () => {
    const opener = capturingOpener();
    const auth = instances.add(
      authFor(stack, { config: { signInTimeoutMs: 200 }, openBrowser: opener.open, fetch: opener.fetch }),
    );
    const pending = auth.signIn();
    const redirectUri = (await opener.request).get('redirect_uri')!;
    await expect(pending).rejects.toMatchObject({ code: 'ERR_SIGN_IN_TIMEOUT' });
    await expectRefused(redirectUri);
    expect(auth.state).toBe('signed-out');
  });

  it('a second signIn() while one is pending joins it; cancel ends both and closes the listener', async () => {
    const opener = capturingOpener();
    let opens = 0;
    const auth = instances.add(
      authFor(stack, {
        openBrowser: async (url) => {
          opens++;
          await opener.open(url);
        },
        fetch: opener.fetch,
      }),
    );
    const first = auth.signIn();
    const second = auth.signIn();
    expect(second).toBe(first);
    const redirectUri = (await opener.request).get('redirect_uri')!;
    auth.cancelSignIn();
    await expect(first).rejects.toMatchObject({ code: 'ERR_SIGN_IN_CANCELLED' });
    expect(opens).toBe(1);
    await expectRefused(redirectUri);
  });

  it('the provider goes down: the session is kept offline, restore offline keeps the vault, and it recovers', async () => {
    const page = await context.newPage();
    const vault = new TestVault();
    let clockOffset = 0;
    const now = () => Date.now() + clockOffset;
    const first = capturingOpener();
    const auth = instances.add(authFor(stack, { vault, now, openBrowser: first.open }));
    await signInWithPage(auth, page, first.url);
    const stored = vault.value;

    await stack.stopIdp();
    try {
      clockOffset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
      await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
      expect(auth.state).toBe('offline');
      expect(vault.value).toBe(stored);
      auth.close();
      clockOffset = 0;

      // Start-up while the provider is down.
      const restarted = instances.add(authFor(stack, { vault, now }));
      expect(await restarted.restore()).toBe('offline');
      expect(vault.value).toBe(stored);
      await expect(restarted.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });

      const recovered = new Promise<void>((resolve) =>
        restarted.onStateChange((s) => {
          if (s === 'signed-in') resolve();
        }),
      );
      await stack.restartIdp();
      await recovered;
      expect((await restarted.fetchApi('/private')).status).toBe(200);
    } finally {
      await stack.restartIdp().catch(() => {});
      await closeTab(page);
    }
  });

  it('invalid_grant (the session was revoked elsewhere) signs out cleanly and clears the vault', async () => {
    const page = await context.newPage();
    const vault = new TestVault();
    let clockOffset = 0;
    const opener = capturingOpener();
    const auth = instances.add(
      authFor(stack, { vault, now: () => Date.now() + clockOffset, openBrowser: opener.open }),
    );
    await signInWithPage(auth, page, opener.url);

    const provider = await discoverDirectly(stack);
    await client.tokenRevocation(provider, vault.refreshToken!);

    clockOffset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1000;
    await expect(auth.getAccessToken()).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
      oauthError: 'invalid_grant',
    });
    expect(auth.state).toBe('signed-out');
    expect(vault.value).toBeUndefined();
    await closeTab(page);
  });
});
