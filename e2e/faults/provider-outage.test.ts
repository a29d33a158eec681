/**
 * Drills 1, 2 and 6: the provider goes down while alice is signed in, comes
 * back, restarts on the same port and data folder; an API starts while the
 * provider is down. One sign-in for the whole story; the steps run in order.
 *
 * | Fault                                   | What must hold                                                        |
 * | --------------------------------------- | --------------------------------------------------------------------- |
 * | provider down, access token still valid | API calls go on (the API verifies with its cached keys)               |
 * | provider down, refresh due or overdue   | state `offline`, vault untouched, the token in hand served until expiry |
 * | provider back                           | the background retry (injected short) renews by itself: `signed-in`   |
 * | provider restarted (same folder, port)  | grants persist: refresh and a fresh launch's restore both work        |
 * | app launched while the provider is down | restore ends `offline`, vault kept; signs in by itself on return      |
 * | a gateway answers 502/503/504/429       | offline like a refused connection (429 was a sign-out path: fixed)    |
 * | API starts while the provider is down   | 503 with Retry-After, never 500 or 200; 200 once the provider is back |
 * |                                         | and Retry-After has passed (the API asks a failed issuer no sooner)   |
 * | provider down after the API has keys    | cached keys keep verifying new requests (token cache off)             |
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import {
  authFor,
  callPrivate,
  faultFetch,
  grantOf,
  reachState,
  signInAlice,
  storedSessionKey,
} from './harness.ts';
import type { FaultFetch, SessionKey } from './harness.ts';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const vault = new TestVault();
const logger = recordingLogger();
let net: FaultFetch;
let auth: DesktopAuth;
let clockOffset = 0;
/** The session's DPoP key: its access tokens reach an API only with proofs of it (RFC 9449). */
let key: SessionKey;
const instances = new OpenInstances<DesktopAuth>();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  context = await browser.newContext();
  page = await context.newPage();
  net = faultFetch();
  ({ auth } = await signInAlice(page, (openBrowser) =>
    authFor(stack, { vault, logger, openBrowser, fetch: net.fetch, now: () => Date.now() + clockOffset }),
  ));
  instances.add(auth);
  // The API meets the provider's keys once, as it would in normal use.
  expect((await auth.fetchApi('/private')).status).toBe(200);
  key = storedSessionKey(vault.value);
});

afterAll(async () => {
  instances.closeAll();
  await context?.close();
  await browser?.close();
  await stack?.close();
});

/** Moves the library's clock to `ms` before the access token expires (negative: past it). */
function clockTo(msBeforeExpiry: number): void {
  clockOffset = auth.accessTokenExpiresAt!.getTime() - msBeforeExpiry - Date.now();
}

describe('drill 1: the provider goes down while signed in', () => {
  it('API calls with the valid access token go on', async () => {
    await stack.stopIdp();
    expect((await auth.fetchApi('/private')).status).toBe(200);
    expect(auth.state).toBe('signed-in');
  });

  it('a refresh ahead of expiry fails as offline, the token in hand is still served and the vault is untouched', async () => {
    const stored = vault.value;
    const token = await auth.getAccessToken();
    clockTo(30_000); // inside the 60 s refresh-ahead margin, before expiry
    expect(await auth.getAccessToken()).toBe(token);
    expect(auth.state).toBe('offline');
    expect(vault.value).toBe(stored);
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('past expiry the caller is told offline (ERR_OFFLINE), the session survives, and retries keep going', async () => {
    const stored = vault.value;
    clockTo(-1_000);
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(auth.state).toBe('offline');
    expect(vault.value).toBe(stored);
    // The background retry (schedule injected: 20 ms, then 50 ms) tries again and again.
    const attempts = net.sent.length;
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (net.sent.length >= attempts + 3) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    expect(new Set(net.sent.slice(attempts))).toEqual(new Set(['refresh_token']));
    expect(auth.state).toBe('offline');
    expect(vault.value).toBe(stored);
  });

  it('recovers by itself when the provider returns: signed-in, a rotated token stored, API calls work', async () => {
    const stored = vault.value;
    await stack.restartIdp();
    await reachState(auth, 'signed-in');
    expect(vault.value).not.toBe(stored);
    expect((await auth.fetchApi('/private')).status).toBe(200);
    expect(logger.lines.join('\n')).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
  });
});

describe('drill 2: the provider restarts on the same data folder and port', () => {
  it('the running session refreshes after the restart (the grant persisted)', async () => {
    const before = storedRefreshToken(vault.value);
    await stack.stopIdp();
    await stack.restartIdp();
    net.sent.length = 0;
    clockTo(-1_000);
    const token = await auth.getAccessToken();
    expect(net.sent).toEqual(['refresh_token']);
    expect(auth.state).toBe('signed-in');
    expect(storedRefreshToken(vault.value)).not.toBe(before);
    expect((await callPrivate(stack.api.url, token, key)).status).toBe(200);
  });

  it('a fresh launch restores silently from the vault after another restart', async () => {
    auth.close();
    await stack.stopIdp();
    await stack.restartIdp();
    clockOffset = 0;
    auth = authFor(stack, { vault, logger, fetch: net.fetch, now: () => Date.now() + clockOffset });
    instances.add(auth);
    expect(await auth.restore()).toBe('signed-in');
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });
});

describe('drill 1, at start-up: the app launches while the provider is down', () => {
  it('restore ends offline with the vault kept, and signs in by itself when the provider returns', async () => {
    auth.close();
    await stack.stopIdp();
    const stored = vault.value;
    auth = authFor(stack, { vault, logger, fetch: net.fetch, now: () => Date.now() + clockOffset });
    instances.add(auth);
    expect(await auth.restore()).toBe('offline');
    expect(vault.value).toBe(stored);
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    await stack.restartIdp();
    await reachState(auth, 'signed-in');
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });
});

describe('drill 1, behind a proxy: the provider’s gateway answers for it', () => {
  const answers: Array<[string, () => Response]> = [
    [
      '502 with an HTML page',
      () =>
        new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    ],
    [
      '503 with Retry-After and no body',
      () => new Response(null, { status: 503, headers: { 'retry-after': '30' } }),
    ],
    [
      '504 with JSON that is not OAuth',
      () => Response.json({ message: 'upstream timeout' }, { status: 504 }),
    ],
    [
      '429 Too Many Requests',
      () => new Response('slow down', { status: 429, headers: { 'retry-after': '30' } }),
    ],
  ];
  it.each(answers)(
    'a refresh answered %s is offline: session and vault kept, recovered when the gateway lets through',
    async (_name, answer) => {
      const stored = vault.value;
      let blocked = true;
      // The gateway answers in the provider's place: the request never reaches it.
      net.before = async (_url, init) => {
        if (blocked && grantOf(init) === 'refresh_token') return answer();
      };
      try {
        clockTo(-1_000);
        await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
        expect(auth.state).toBe('offline');
        expect(vault.value).toBe(stored);
        blocked = false;
        await reachState(auth, 'signed-in');
        expect((await auth.fetchApi('/private')).status).toBe(200);
      } finally {
        net.before = undefined;
        clockOffset = 0;
      }
    },
  );
});

describe('drill 6: the JWKS is down when the API starts, and later', () => {
  it('an API started while the provider is down answers 503 with Retry-After, then 200 once it is back', async () => {
    const token = await auth.getAccessToken();
    await stack.stopIdp();
    // Retry-After also bounds how soon the API asks a failed issuer again (issuer-outage.ts):
    // 1 s here rather than the default 5, so the drill waits what a well-behaved client would.
    const api = await startDrillApi({ issuerRetryAfterSeconds: 1 });
    const down = await callPrivate(api.url, token, key);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(down.headers.get('www-authenticate')).toBeNull();
    // The API running since before the outage still verifies with its cached keys.
    expect((await callPrivate(stack.api.url, token, key)).status).toBe(200);

    await stack.restartIdp();
    await new Promise((resolve) => setTimeout(resolve, Number(down.headers.get('retry-after')) * 1000));
    const up = await callPrivate(api.url, token, key);
    expect(up.status).toBe(200);
  });

  it('keys fetched while the provider was up keep verifying every request when it goes down again', async () => {
    const api = await startDrillApi();
    const first = await auth.getAccessToken();
    expect((await callPrivate(api.url, first, key)).status).toBe(200);
    // A token this API has never seen, so the verified-token cache cannot be what answers.
    clockTo(-1_000);
    const second = await auth.getAccessToken();
    expect(second).not.toBe(first);
    clockOffset = 0;
    await stack.stopIdp();
    expect((await callPrivate(api.url, second, key)).status).toBe(200);
    expect((await callPrivate(api.url, first, key)).status).toBe(200);
    // A forged token is still refused, not passed, while the provider is away.
    const [h, p] = second.split('.');
    const forged = await callPrivate(api.url, `${h}.${p}.AAAA`, key);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
    await stack.restartIdp();
  });
});

const drillApis: RunningApi[] = [];
afterAll(() => Promise.all(drillApis.map((api) => api.close())));

/** Another API against the stack's provider, token cache off, closed when the file ends. */
async function startDrillApi(options: { issuerRetryAfterSeconds?: number } = {}): Promise<RunningApi> {
  const api = await startApi(
    { issuer: stack.issuer, audience: stack.idp.apiResource, port: 0, tokenCache: 'off', ...options },
    { log: () => {} },
  );
  drillApis.push(api);
  return api;
}
