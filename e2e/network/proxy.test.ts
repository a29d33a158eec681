/**
 * The CLI behind a corporate proxy (DESIGN "Networks"), as a spawned process
 * against the local provider and API, signing in through Chromium:
 *
 * - with `HTTP_PROXY` set, every request the CLI sends to the provider or the
 *   API goes to the proxy (loopback is not exempt unless `NO_PROXY` says so);
 * - with `NO_PROXY` naming the host, none does;
 * - a proxy that refuses connections, or cannot reach the provider, means
 *   "offline": the stored session is kept, and a later run without the proxy
 *   is still signed in.
 *
 * "Every request" is checked from both ends: the proxy's log, and a witness
 * loaded into the CLI process (support/witnessed-cli.ts) that records each
 * HTTP request and the origin its bytes go to.
 */
import { randomUUID } from 'node:crypto';
import { completeLogin, freeLoopbackPort, launchBrowser } from '@electron-oidc/test-support';
import { NO_BUS_NOTE, startCliUser } from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardingProxy } from './support/forwarding-proxy.ts';
import type { ForwardingProxy } from './support/forwarding-proxy.ts';
import { cliEnvOf, runWitnessed } from './support/witnessed-cli.ts';
import type { Witnessed } from './support/witnessed-cli.ts';

const alice = { username: 'alice', password: 'wonderland' };
const slot = { service: `electron-oidc-network-${randomUUID()}`, account: 'proxy' };

let stack: LocalStack;
let browser: Browser;
let page: Page;
let user: CliUser;
let proxy: ForwardingProxy;

beforeAll(async () => {
  if (NO_BUS_NOTE !== '') return;
  [stack, browser, proxy] = await Promise.all([startLocalStack(), launchBrowser(), startForwardingProxy()]);
  page = await (await browser.newContext()).newPage();
  user = await startCliUser(cliEnvOf({ ...stack.config }), slot);
});
afterAll(async () => {
  await user?.close();
  await proxy?.close();
  await browser?.close();
  await stack?.close();
});

const run = (env: Record<string, string>, ...args: string[]) => runWitnessed(user, env, ...args);

const providerOrApi = (url: string) =>
  url.startsWith(`${stack.issuer}/`) || url.startsWith(`${stack.api.url}/`);

/** Checks that every request of the run went to the proxy, and that the proxy forwarded exactly those. */
function expectAllProxied(witnessed: Witnessed[], proxiedFrom: number): string[] {
  expect(witnessed.length).toBeGreaterThan(0);
  for (const request of witnessed) expect(request.origin).toBe(proxy.url);
  const sent = witnessed.map((r) => `${r.method} ${r.path}`);
  const forwarded = proxy.requests.slice(proxiedFrom).map((r) => `${r.method} ${r.target}`);
  expect(forwarded.sort()).toEqual([...sent].sort());
  for (const request of proxy.requests.slice(proxiedFrom)) expect(providerOrApi(request.target)).toBe(true);
  return sent;
}

describe.skipIf(NO_BUS_NOTE !== '')(`the CLI's requests through a forwarding proxy${NO_BUS_NOTE}`, () => {
  it('login with HTTP_PROXY: every request to the provider goes through the proxy, loopback included', async () => {
    const before = proxy.requests.length;
    const { cli, requests } = run({ HTTP_PROXY: proxy.url }, 'login');
    await page.goto(await user.sink.next());
    await completeLogin(page, alice);
    const r = await cli.result;
    expect(r.stderr).not.toContain('electron-oidc:');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Signed in as Alice Liddell <alice@example.com>.');
    const sent = expectAllProxied(await requests(), before);
    expect(sent).toContain(`GET ${stack.issuer}/.well-known/openid-configuration`);
    expect(sent).toContain(`POST ${stack.issuer}/token`);
  });

  it('get /private with the lower-case http_proxy: the refresh grant and the API request go through the proxy', async () => {
    const before = proxy.requests.length;
    const { cli, requests } = run({ http_proxy: proxy.url }, 'get', '/private');
    const r = await cli.result;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ message: 'Only authenticated users can read this message.' });
    const sent = expectAllProxied(await requests(), before);
    expect(sent).toContain(`POST ${stack.issuer}/token`);
    expect(sent).toContain(`GET ${stack.api.url}/private`);
  });

  it('NO_PROXY naming the host: no request goes through the proxy', async () => {
    const before = proxy.requests.length;
    const { cli, requests } = run({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, 'get', '/private');
    const r = await cli.result;
    expect(r.code).toBe(0);
    expect(proxy.requests.slice(before)).toEqual([]);
    const witnessed = await requests();
    expect(witnessed.map((w) => `${w.method} ${w.origin}${w.path}`)).toContain(
      `GET ${stack.api.url}/private`,
    );
    for (const request of witnessed) expect([stack.issuer, stack.api.url]).toContain(request.origin);
  });
});

describe.skipIf(NO_BUS_NOTE !== '')(
  `a proxy that fails is "offline", never "signed out"${NO_BUS_NOTE}`,
  () => {
    it('a proxy that refuses connections: status says offline, the stored session is kept, and signed in once it is gone', async () => {
      const stored = await user.storedSession();
      expect(stored?.refresh_token).toEqual(expect.any(String));
      const refusing = `http://127.0.0.1:${await freeLoopbackPort()}`;
      const { cli } = run({ HTTP_PROXY: refusing }, 'status');
      const r = await cli.result;
      // The CLI's answer when the provider cannot be reached: still signed in, and says so.
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Signed in as alice (offline: the provider cannot be reached)\n');
      expect(await user.storedSession()).toEqual(stored);

      const get = await run({ HTTP_PROXY: refusing }, 'get', '/private').cli.result;
      expect(get.code).toBe(1);
      expect(get.stderr).toContain('The sign-in provider cannot be reached');
      expect(get.stderr).toContain('You stay signed in');
      expect(await user.storedSession()).toEqual(stored);

      const after = await run({}, 'status').cli.result;
      expect(after.code).toBe(0);
      expect(after.stdout).toContain('Signed in as Alice Liddell <alice@example.com>\n');
    });

    it('a proxy that cannot reach the provider (502 Bad Gateway): offline as well, the session kept', async () => {
      // A proxy that is up, with the provider down behind it: it answers 502 Bad Gateway.
      const gateway = await startForwardingProxy();
      const stored = await user.storedSession();
      expect(stored?.refresh_token).toEqual(expect.any(String));
      try {
        await stack.stopIdp();
        const r = await run({ HTTP_PROXY: gateway.url }, 'get', '/private').cli.result;
        expect(gateway.requests.map((g) => g.target)).toContain(
          `${stack.issuer}/.well-known/openid-configuration`,
        );
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('The sign-in provider cannot be reached');
        expect(await user.storedSession()).toEqual(stored);
      } finally {
        await stack.restartIdp();
        await gateway.close();
      }
      const after = await run({}, 'get', '/private').cli.result;
      expect(after.code).toBe(0);
    });
  },
);
