/**
 * Drill 3: the process dies at each step of a refresh and of a sign-out. "Dies"
 * is played by making the network or the vault throw or never answer at that
 * step, abandoning the instance, and starting a NEW library instance on the
 * same vault against the same provider (a relaunch). The rule: at the next
 * start the user is either still signed in or cleanly signed out (state
 * `signed-out`, vault cleared, a log line), never crashed, looping, or
 * "offline" for ever with a refresh token the provider has revoked.
 *
 * The provider rotates refresh tokens and, on reuse of a rotated-out one,
 * revokes the whole grant (oidc-provider; RFC 9700 §4.14.2). So once the
 * provider has issued a new refresh token, the stored old one is dead, and no
 * client-side ordering can save a session whose new token was not stored: the
 * library's rule "store the rotated token before anyone uses it" only
 * guarantees that no new access token is used while the vault still holds the
 * old one, and that the process that survived a failed write (vault refused)
 * keeps working in memory. The window is closed only by a write that lands.
 *
 * | Step where the process dies                                   | At the next start                                                                      |
 * | ------------------------------------------------------------- | -------------------------------------------------------------------------------------- |
 * | refresh: before the request leaves                            | signed in (the stored token was never used)                                            |
 * | refresh: the provider rotated, the answer never arrived       | signed out cleanly: one refresh, `invalid_grant`, vault cleared, log line               |
 * | (same, process lives: answer lost as a network error)         | offline, the background retry gets `invalid_grant`: signed out, not offline for ever    |
 * | refresh: answer received, vault write never completes         | signed out cleanly (old token stored, now revoked); no new access token was handed out |
 * | refresh: answer received, vault refuses the write             | the running process keeps the session in memory (logged); next start signed out        |
 * | refresh: rotated token stored, before the access token is used | signed in with the stored new token                                                    |
 * | sign-out: while clearing the vault (clear never completes)    | signed in: revocation is sent only after the local clear, so nothing was revoked       |
 * | sign-out: vault refuses the clear                             | revoked at the provider, so the next start gets `invalid_grant`: signed out, cleared   |
 * | sign-out: vault cleared, revocation never answered            | signed out, no request; the token lives at the provider until its TTL, held by no one  |
 * | sign-out: vault cleared, revocation fails (provider down)     | signed out (`revoked: false`, warning logged)                                          |
 */
import {
  launchBrowser,
  OpenInstances,
  recordingLogger,
  storedRefreshToken,
  TestVault,
} from '@electron-oidc/test-support';
import type { DesktopAuth } from 'electron-oidc';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authFor,
  callPrivate,
  FaultyVault,
  faultFetch,
  grantOf,
  never,
  reachState,
  settle,
  signInAlice,
  storedSessionKey,
  until,
} from './harness.ts';
import type { FaultFetch, SessionKey } from './harness.ts';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const instances = new OpenInstances<DesktopAuth>();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  context = await browser.newContext();
  page = await context.newPage();
});
afterEach(() => {
  instances.closeAll();
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

interface Session {
  auth: DesktopAuth;
  store: TestVault;
  vault: FaultyVault;
  net: FaultFetch;
  logger: ReturnType<typeof recordingLogger>;
  /** The session's DPoP key, as stored at sign-in: its access tokens work only with proofs of it. */
  key: SessionKey;
  /** Moves this instance's clock past the access token's expiry. */
  expire(): void;
}

async function signedIn(): Promise<Session> {
  const store = new TestVault();
  const vault = new FaultyVault(store);
  const net = faultFetch();
  const logger = recordingLogger();
  let offset = 0;
  const { auth } = await signInAlice(page, (openBrowser) =>
    authFor(stack, { vault, logger, openBrowser, fetch: net.fetch, now: () => Date.now() + offset }),
  );
  instances.add(auth);
  expect(store.value).toBeDefined();
  return {
    auth,
    store,
    vault,
    net,
    logger,
    key: storedSessionKey(store.value),
    expire: () => {
      offset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1_000;
    },
  };
}

/** The relaunch: a new instance on the same vault restores; it must make at most one request and then stay quiet. */
async function nextStart(store: TestVault) {
  const net = faultFetch();
  const logger = recordingLogger();
  const auth = authFor(stack, { vault: store, logger, fetch: net.fetch });
  instances.add(auth);
  const state = await auth.restore();
  await settle(150); // several periods of the injected retry schedule: a loop would show here
  expect(net.sent.length).toBeLessThanOrEqual(1);
  expect(auth.state).toBe(state);
  return { auth, state, net, logger };
}

/** The dead process is gone: its timers stop; its hung promises are never awaited. */
function die(session: Session): void {
  session.auth.close();
}

async function expectCleanlySignedOut(store: TestVault): Promise<void> {
  const next = await nextStart(store);
  expect(next.state).toBe('signed-out');
  expect(next.net.sent).toEqual(['refresh_token']);
  expect(store.value).toBeUndefined();
  expect(next.logger.lines.join('\n')).toMatch(/ended the session \(invalid_grant\); signing out/);
  await expect(next.auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
}

describe('drill 3: the process dies during a refresh', () => {
  it('before the request leaves: the next start is still signed in', async () => {
    const s = await signedIn();
    let reached = false;
    s.net.before = async (_url, init) => {
      if (grantOf(init) !== 'refresh_token') return;
      reached = true;
      return never();
    };
    s.expire();
    void s.auth.getAccessToken().catch(() => {});
    await until(() => reached);
    die(s);

    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-in');
    expect((await next.auth.fetchApi('/private')).status).toBe(200);
  });

  it('after the provider rotated but before the answer arrived: the next start is cleanly signed out', async () => {
    const s = await signedIn();
    let answered = false;
    s.net.after = async (_url, init, response) => {
      if (grantOf(init) !== 'refresh_token') return response;
      await response.body?.cancel();
      answered = true;
      return never();
    };
    s.expire();
    void s.auth.getAccessToken().catch(() => {});
    await until(() => answered);
    die(s);
    await expectCleanlySignedOut(s.store);
  });

  it('the answer lost as a network error while the process lives: offline, then signed out by the retry, not offline for ever', async () => {
    const s = await signedIn();
    s.net.after = async (_url, init, response) => {
      if (grantOf(init) !== 'refresh_token') return response;
      s.net.after = undefined;
      await response.body?.cancel();
      throw new TypeError('fetch failed');
    };
    s.expire();
    await expect(s.auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(s.auth.state).toBe('offline');
    await reachState(s.auth, 'signed-out');
    await until(() => s.store.value === undefined);
    expect(s.net.sent).toEqual(['authorization_code', 'refresh_token', 'refresh_token']);
    expect(s.store.value).toBeUndefined();
    expect(s.logger.lines.join('\n')).toMatch(/invalid_grant/);
  });

  it('while storing the rotated token (the write never completes): no new access token was handed out; the next start is cleanly signed out', async () => {
    const s = await signedIn();
    const before = s.store.value;
    s.vault.faults.write = 'hang';
    s.expire();
    let handedOut = false;
    void s.auth.getAccessToken().then(
      () => (handedOut = true),
      () => {},
    );
    await until(() => s.vault.calls.filter((c) => c === 'write').length === 2);
    await settle(20);
    expect(handedOut).toBe(false);
    die(s);
    expect(s.store.value).toBe(before);
    await expectCleanlySignedOut(s.store);
  });

  it('when the vault refuses the write: the running process keeps its session in memory and says so; the next start is cleanly signed out', async () => {
    const s = await signedIn();
    s.vault.faults.write = 'throw';
    s.expire();
    const token = await s.auth.getAccessToken();
    expect(s.auth.state).toBe('signed-in');
    expect((await callPrivate(stack.api.url, token, s.key)).status).toBe(200);
    expect(s.logger.lines.join('\n')).toMatch(
      /error: Could not store the session in the test-memory vault; it lasts until the app quits/,
    );
    // The outdated entry was cleared, so the next start presents no rotated-out token: signed out, no request.
    expect(s.store.value).toBeUndefined();
    die(s);
    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-out');
    expect(next.net.sent).toEqual([]);
  });

  it('after the rotated token was stored, before its access token was used: the next start is signed in', async () => {
    const s = await signedIn();
    const before = storedRefreshToken(s.store.value);
    s.vault.faults.write = 'land-then-hang';
    s.expire();
    void s.auth.getAccessToken().catch(() => {});
    await until(() => storedRefreshToken(s.store.value) !== before);
    die(s);
    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-in');
    expect((await next.auth.fetchApi('/private')).status).toBe(200);
  });
});

describe('drill 3: the process dies during a sign-out', () => {
  it('while clearing the vault: nothing was revoked yet, so the next start is still signed in', async () => {
    const s = await signedIn();
    s.vault.faults.clear = 'hang';
    void s.auth.signOut().catch(() => {});
    await until(() => s.vault.calls.includes('clear'));
    await settle(20);
    expect(s.net.sent).not.toContain('revocation');
    die(s);
    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-in');
  });

  it('when the vault refuses the clear: the token is revoked anyway, so the next start is cleanly signed out', async () => {
    const s = await signedIn();
    s.vault.faults.clear = 'throw';
    const result = await s.auth.signOut();
    expect(result.revoked).toBe(true);
    expect(s.auth.state).toBe('signed-out');
    expect(s.logger.lines.join('\n')).toMatch(/error: Could not clear the test-memory vault/);
    expect(s.store.value).toBeDefined();
    die(s);
    await expectCleanlySignedOut(s.store);
  });

  it('after the vault was cleared, before the revocation was answered: the next start is signed out without a request', async () => {
    const s = await signedIn();
    let reached = false;
    s.net.before = async (url) => {
      if (!url.endsWith('/token/revocation')) return;
      reached = true;
      return never();
    };
    void s.auth.signOut().catch(() => {});
    await until(() => reached);
    expect(s.store.value).toBeUndefined();
    die(s);
    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-out');
    expect(next.net.sent).toEqual([]);
  });

  it('when the revocation fails (provider unreachable): signed out locally, revoked: false, a warning', async () => {
    const s = await signedIn();
    s.net.before = async (url) => {
      if (url.endsWith('/token/revocation')) throw new TypeError('fetch failed');
    };
    const result = await s.auth.signOut();
    expect(result.revoked).toBe(false);
    expect(s.store.value).toBeUndefined();
    expect(s.logger.lines.join('\n')).toMatch(
      /warn: Signed out on this device, but the provider did not confirm/,
    );
    die(s);
    const next = await nextStart(s.store);
    expect(next.state).toBe('signed-out');
    expect(next.net.sent).toEqual([]);
  });
});
