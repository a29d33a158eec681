/**
 * Another user of the same machine (DESIGN "The loopback listener and the machine's other
 * users"). Every local user can read the browser launcher's command line in
 * /proc/<pid>/cmdline: the authorization URL with its `state`, PKCE challenge and loopback port.
 * Here a second OS user, created for the test, completes that very URL with its own account
 * (bob) and delivers bob's code to the app's listener before alice does: without the peer check
 * the app would be signed in as bob (login CSRF, RFC 9700 §4.4). With it, the forged callback is
 * refused and alice's completes. The same user also tries to fetch the one-shot sign-out page,
 * which holds alice's ID token.
 *
 * The local provider takes pushed authorization requests (RFC 9126), which keep `state` and the
 * PKCE challenge off the command line altogether. The drill therefore runs the app as against a
 * provider without PAR (Google, Entra ID…): its discovery document, as the app receives it, lacks
 * `pushed_authorization_request_endpoint`, so the launched URL carries the request as it would there.
 *
 * Needs root (useradd, and spawning a process as another uid) on Linux; skipped otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  completeLogout,
  finishInteraction,
  launchBrowser,
  recordingLogger,
} from '@electron-oidc/test-support';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import { createDesktopAuth } from 'electron-oidc';
import type { DesktopAuth } from 'electron-oidc';
import { MemoryVault } from 'electron-oidc/vault';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const JWT_SHAPED = /eyJ[\w-]*\.[\w-]+\.[\w-]+/;

function hasCommands(...names: string[]): boolean {
  return names.every((name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
}

const SKIP_NOTE =
  process.platform !== 'linux'
    ? ' (skipped: the peer check exists on Linux only)'
    : process.getuid?.() !== 0
      ? ' (skipped: creating a second OS user needs root)'
      : !hasCommands('useradd', 'userdel', 'id')
        ? ' (skipped: useradd/userdel are missing)'
        : '';

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

function createOsUser(): OsUser {
  const name = `eoidc-${randomBytes(4).toString('hex')}`;
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr.toString()}`);
  const id = (flag: string) => Number(spawnSync('id', [flag, name]).stdout.toString().trim());
  return { name, uid: id('-u'), gid: id('-g') };
}

/**
 * Sends one GET as `user`, from a process of its own (what the attacker runs): its status, its
 * body and the uid it ran as.
 */
function getAs(user: OsUser, url: string): Promise<{ status: number; body: string; uid: number }> {
  const script = `fetch(process.argv[1]).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text(), uid: process.getuid() })), (e) => { console.error(String(e)); process.exit(2); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, url], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the other user's request failed (${code}): ${err}`));
      else resolve(JSON.parse(out) as { status: number; body: string; uid: number });
    });
  });
}

/** The discovery answer as a provider without PAR would give it. */
async function withoutPar(response: Response): Promise<Response> {
  const metadata = (await response.json()) as Record<string, unknown>;
  delete metadata['pushed_authorization_request_endpoint'];
  delete metadata['require_pushed_authorization_requests'];
  return Response.json(metadata, { status: response.status });
}

/** An opener that only records the URL: what the launcher, and /proc/<pid>/cmdline, would show. */
function capturingOpener() {
  const urls: string[] = [];
  let wake: (() => void) | undefined;
  return {
    urls,
    open: async (url: string) => {
      urls.push(url);
      wake?.();
    },
    next: (count: number) =>
      new Promise<string>((resolve) => {
        const check = () => (urls.length >= count ? resolve(urls[count - 1]!) : (wake = check));
        check();
      }),
  };
}

describe.skipIf(SKIP_NOTE !== '')(`another OS user on the same machine${SKIP_NOTE}`, () => {
  let stack: LocalStack;
  let browser: Browser;
  let mallory: OsUser | undefined;
  let auth: DesktopAuth | undefined;
  const grants: string[] = [];
  const opener = capturingOpener();
  const logger = recordingLogger();

  beforeAll(async () => {
    mallory = createOsUser();
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    auth = createDesktopAuth({
      config: stack.config,
      vault: new MemoryVault(),
      logger,
      openBrowser: opener.open,
      fetch: async (url, init) => {
        if (init.body instanceof URLSearchParams) grants.push(init.body.get('grant_type') ?? '');
        const response = await fetch(url, init);
        return url.endsWith('/.well-known/openid-configuration') ? withoutPar(response) : response;
      },
    });
  });
  afterAll(async () => {
    auth?.close();
    await browser?.close();
    await stack?.close();
    if (mallory !== undefined) spawnSync('userdel', [mallory.name]);
  });

  it('a callback with the right state and a real code, sent by another user, is refused; alice’s completes', async () => {
    const signingIn = auth!.signIn();
    signingIn.catch(() => {});
    // What mallory reads from the launcher's command line.
    const authorizationUrl = new URL(await opener.next(1));
    const listener = new URL(authorizationUrl.searchParams.get('redirect_uri')!);

    // Mallory completes the app's own authorization request as bob, and keeps the redirect.
    const attackerBrowser = await browser.newContext();
    const attackerPage = await attackerBrowser.newPage();
    let forged: string | undefined;
    // The provider's redirect to the listener is kept, not followed: mallory delivers it herself.
    // (Playwright routes only the first request of a navigation, so each provider redirect is
    // turned into a page that navigates on, which is routed again.)
    const refreshTo = (url: string) =>
      `<meta http-equiv="refresh" content="0;url=${url.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">`;
    await attackerPage.route(`${new URL(stack.issuer).origin}/**`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers()['location'];
      if (location === undefined) return route.fulfill({ response });
      const target = new URL(location, route.request().url());
      if (target.origin === listener.origin) forged = target.href;
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: refreshTo(target.origin === listener.origin ? 'about:blank' : target.href),
      });
    });
    await attackerPage.goto(authorizationUrl.href);
    await attackerPage.waitForURL(/\/interaction\//);
    await finishInteraction(attackerPage, { username: 'bob', password: 'builder' }).catch(() => {});
    await expect.poll(() => forged, { timeout: 15_000 }).toBeDefined();
    await attackerBrowser.close();
    const forgedUrl = new URL(forged!);
    expect(forgedUrl.searchParams.get('state')).toBe(authorizationUrl.searchParams.get('state'));
    expect(forgedUrl.searchParams.get('code')).toEqual(expect.any(String));

    const answer = await getAs(mallory!, forgedUrl.href);
    expect(answer.uid).toBe(mallory!.uid);
    expect(answer.status, 'the listener took a callback from another OS user').toBe(403);
    expect(answer.body).not.toContain(forgedUrl.searchParams.get('code')!);
    expect(auth!.state).toBe('signing-in');
    expect(grants).toEqual([]);
    expect(logger.lines.join('\n')).toContain(`another user of this machine (uid ${mallory!.uid})`);

    // The real user's browser completes as alice; the sign-in was still waiting for it.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authorizationUrl.href);
    await finishInteraction(page, { username: 'alice', password: 'wonderland' });
    const profile = await signingIn;
    expect(profile.name).toBe('Alice Liddell');
    expect(grants).toEqual(['authorization_code']);
    await page.waitForLoadState('load');
    expect(await page.textContent('h1')).toBe('You are signed in');
    await context.close();
  });

  it('the one-shot sign-out page, which holds alice’s ID token, is refused to the other user', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const signedOut = auth!.signOut({ endProviderSession: true, timeoutMs: 30_000 });
    const pageUrl = await opener.next(2);
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/end-session\/[\w-]+$/);
    expect(pageUrl).not.toMatch(JWT_SHAPED);
    const refused = await getAs(mallory!, pageUrl);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toMatch(JWT_SHAPED);
    // Alice's browser still gets it, once.
    await page.goto(pageUrl);
    await completeLogout(page);
    await expect(signedOut).resolves.toMatchObject({ providerSessionEnded: true });
    await context.close();
  });
});
