/**
 * Drill 7: the desktop's clock is 2 minutes ahead of, or behind, the
 * provider's and the API's. The provider and the API run in a child process
 * on the true clock; in this process (the desktop) `Date.now`, which
 * openid-client reads for the ID token's `exp`/`iat` checks and for every
 * DPoP proof's `iat`, and the library's `now` are shifted.
 *
 * | Desktop clock           | What must hold                                                                  |
 * | ----------------------- | ------------------------------------------------------------------------------- |
 * | 2 minutes ahead         | sign-in, API call, one refresh ahead of expiry (no loop), silent restore        |
 * | 2 minutes behind        | the same                                                                        |
 * | 2 hours ahead (control) | sign-in fails with ERR_ID_TOKEN_INVALID, whose message says to check the clock |
 *
 * Why it holds:
 * - the library times refresh-ahead from `expires_in` (RFC 6749 §5.1), a
 *   duration, measured on its own clock: skew cannot make it refresh early in
 *   a loop or never;
 * - openid-client 6 rejects an ID token only when `exp` is past (30 s
 *   tolerance, `clockTolerance`) or `iat` is more than an hour old; it has no
 *   "iat in the future" check, so a desktop clock behind is fine, and the
 *   provider's ID tokens live an hour, so a clock up to about an hour ahead is
 *   fine (a larger error fails with ERR_ID_TOKEN_INVALID, whose message says to
 *   check the device clock; `clockSkew` exists for that case, unused here);
 * - the API checks `exp`/`nbf` on its own (the provider's side) clock;
 * - DPoP proofs carry the desktop's `iat`, and the nonce path absorbs the skew
 *   (RFC 9449 §9, §11.1). The API takes a proof without a nonce only within
 *   60 s of its clock: the first proof, 2 minutes off, is answered 401
 *   `use_dpop_nonce` with a `DPoP-Nonce`, openid-client's DPoP handle retries
 *   once with that nonce, and the API takes a proof carrying its own nonce
 *   with an `iat` up to 10 minutes off (the nonce, made from the API's clock,
 *   proves the proof is recent; the replay cache still takes it only once).
 *   The handle keeps the nonce for the origin, so later calls need no retry
 *   until it expires. The provider (oidc-provider) takes an `iat` within
 *   5 minutes and beyond that answers `use_dpop_nonce` the same way (a nonce
 *   secret is always configured); it hands out nonces on every answer too;
 * - in the negative control the DPoP proofs, 2 hours off, get through the
 *   same way, so what fails is the ID token check it is meant to show.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, OpenInstances, recordingLogger, TestVault } from '@electron-oidc/test-support';
import { createDesktopAuth } from 'electron-oidc';
import type { DesktopAuth, DesktopAuthOptions } from 'electron-oidc';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { faultFetch, signInAlice } from './harness.ts';
import type { FaultFetch } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

interface RemoteStack {
  issuer: string;
  clientId: string;
  apiResource: string;
  apiUrl: string;
}

let child: ChildProcess;
let remote: RemoteStack;
let dataDir: string;
let browser: Browser;
let page: Page;
const instances = new OpenInstances<DesktopAuth>();
const realNow = Date.now.bind(Date);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'faults-skew-idp-'));
  child = fork(path.join(here, 'fixtures/stack-process.ts'), [dataDir], { stdio: 'inherit' });
  [remote, browser] = await Promise.all([
    new Promise<RemoteStack>((resolve, reject) => {
      child.once('message', (m) => resolve(m as RemoteStack));
      child.once('exit', (code) => reject(new Error(`the stack process exited with ${code}`)));
    }),
    launchBrowser(),
  ]);
  page = await browser.newPage();
});

afterEach(() => {
  vi.restoreAllMocks();
  instances.closeAll();
});

afterAll(async () => {
  await browser?.close();
  if (child?.connected) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('close');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

function authWith(options: Partial<DesktopAuthOptions>): DesktopAuth {
  const auth = createDesktopAuth({
    logger: recordingLogger(),
    retrySchedule: [20, 50],
    openBrowser: async () => {
      throw new Error('this instance must not open the browser');
    },
    ...options,
    config: {
      issuer: remote.issuer,
      clientId: remote.clientId,
      apiAudience: remote.apiResource,
      apiBaseUrl: remote.apiUrl,
    },
  });
  instances.add(auth);
  return auth;
}

/** What the API answers the desktop, in order: the status and the challenge's error, if any. */
function apiAnswers(net: FaultFetch): string[] {
  const answers: string[] = [];
  net.after = async (url, _init, response) => {
    if (url.startsWith(remote.apiUrl)) {
      const error = /error="([^"]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1];
      answers.push(error === undefined ? String(response.status) : `${response.status} ${error}`);
    }
    return response;
  };
  return answers;
}

describe.each([
  ['ahead of', +120_000],
  ['behind', -120_000],
])('drill 7: the desktop clock 2 minutes %s the provider', (_label, skewMs) => {
  it('sign-in, API call, one refresh ahead of expiry (no loop) and a silent restore all work', async () => {
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs);
    let ahead = 0;
    const now = () => Date.now() + ahead;
    const vault = new TestVault();
    const net = faultFetch();

    const { auth, profile } = await signInAlice(page, (openBrowser) =>
      authWith({ vault, openBrowser, now, fetch: net.fetch }),
    );
    expect(profile.name).toBe('Alice Liddell');
    const answers = apiAnswers(net);
    expect((await auth.fetchApi('/private')).status).toBe(200);
    // The proof 2 minutes off gets a nonce instead of a refusal; the retry carrying it is taken.
    expect(answers).toEqual(['401 use_dpop_nonce', '200']);
    // The expiry is reckoned on the desktop's own clock: about now + expires_in there.
    const lifetime = auth.accessTokenExpiresAt!.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(60_000);
    expect(lifetime).toBeLessThanOrEqual(300_000);

    // Into the refresh-ahead margin (default 60 s): exactly one refresh, then quiet.
    net.sent.length = 0;
    ahead = lifetime - 30_000;
    const first = await auth.getAccessToken();
    for (let i = 0; i < 5; i++) expect(await auth.getAccessToken()).toBe(first);
    expect(net.sent).toEqual(['refresh_token']);
    expect(auth.state).toBe('signed-in');
    answers.length = 0;
    expect((await auth.fetchApi('/private')).status).toBe(200);
    // The nonce is remembered for the API's origin: no second round trip.
    expect(answers).toEqual(['200']);

    const next = authWith({ vault, now });
    expect(await next.restore()).toBe('signed-in');
    expect((await next.fetchApi('/private')).status).toBe(200);
  });
});

describe('drill 7: the negative control (the shift reaches openid-client)', () => {
  it('a desktop clock 2 hours ahead fails the ID token check with ERR_ID_TOKEN_INVALID, which says to check the clock', async () => {
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2 * 3_600_000);
    const vault = new TestVault();
    // A page of its own: after a refused sign-in Chromium may leave it mid-navigation.
    const own = await browser.newPage();
    const attempt = signInAlice(own, (openBrowser) => authWith({ vault, openBrowser }));
    await expect(attempt).rejects.toMatchObject({
      code: 'ERR_ID_TOKEN_INVALID',
      message: expect.stringMatching(/check the device clock/),
    });
    expect(vault.value).toBeUndefined();
  });
});
