import {
  freeLoopbackPort,
  launchBrowser,
  OpenInstances,
  recordingLogger,
  TestVault,
} from '@electron-oidc/test-support';
import { startSecondProvider } from '@electron-oidc/test-support/second-provider';
import type { RunningSecondProvider } from '@electron-oidc/test-support/second-provider';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import { browserOpener, countingFetch } from './harness.ts';

// A provider without DPoP (no dpop_signing_alg_values_supported) and without PAR (no
// pushed_authorization_request_endpoint): the second provider profile, a real provider double.
describe('a provider without DPoP or PAR (the second provider)', () => {
  let provider: RunningSecondProvider;
  let browser: Browser;
  let context: BrowserContext;
  const instances = new OpenInstances<DesktopAuth>();

  beforeAll(async () => {
    [provider, browser] = await Promise.all([
      freeLoopbackPort().then((redirectPort) => startSecondProvider({ redirectPort })),
      launchBrowser(),
    ]);
    context = await browser.newContext();
  });
  afterEach(() => instances.closeAll());
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await provider?.close();
  });

  const authAt = (options: Partial<Parameters<typeof createDesktopAuth>[0]>, dpop?: string) =>
    instances.add(
      createDesktopAuth({
        logger: recordingLogger(),
        vault: new TestVault(),
        ...options,
        config: {
          issuer: provider.issuer,
          clientId: provider.clientId,
          apiAudience: provider.apiAudience,
          apiBaseUrl: 'http://127.0.0.1:9/',
          sendResourceIndicator: false,
          authorizationParams: { audience: provider.apiAudience },
          redirectPort: provider.redirectPort,
          ...(dpop === undefined ? {} : { dpop: dpop as 'auto' }),
        },
      }),
    );

  it('dpop "required": sign-in fails with ERR_DPOP_UNSUPPORTED naming the option, before the browser opens', async () => {
    let opened = false;
    const auth = authAt(
      {
        openBrowser: async () => {
          opened = true;
        },
      },
      'required',
    );
    const err = await auth.signIn().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_DPOP_UNSUPPORTED', option: 'dpop' });
    expect((err as Error).message).toMatch(/"dpop"/);
    expect(opened).toBe(false);
    expect(auth.state).toBe('signed-out');
  });

  it('dpop "auto": Bearer tokens, no proof sent, a version 1 entry, and the front-channel URL as before', async () => {
    const page = await context.newPage();
    const opener = browserOpener(page);
    const vault = new TestVault();
    const counter = countingFetch();
    const proofs: string[] = [];
    const auth = authAt({
      vault,
      openBrowser: opener.open,
      fetch: async (url, init) => {
        const proof = new Headers(init.headers).get('dpop');
        if (proof !== null) proofs.push(url);
        return counter.fetch(url, init);
      },
    });
    expect((await auth.signIn()).name).toBe('Alice Liddell');
    await opener.settled();

    // Without PAR the request travels in the URL, every check included (RFC 7636, RFC 6749 §10.12).
    const url = new URL(opener.opened[0]!);
    expect(url.searchParams.has('request_uri')).toBe(false);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43,}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{43,}$/);
    expect(url.searchParams.has('dpop_jkt')).toBe(false);
    expect(counter.pushed).toEqual([]);
    expect(proofs).toEqual([]);
    const entry = JSON.parse(vault.value!) as Record<string, unknown>;
    expect(entry).toMatchObject({ v: 1 });
    expect(entry).not.toHaveProperty('dpop');
    await page.close();
  });
});
