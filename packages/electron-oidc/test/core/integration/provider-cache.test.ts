import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, OpenInstances, recordingLogger, TestVault } from '@electron-oidc/test-support';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopAuth, DesktopAuthOptions } from '../../../src/core/desktop-auth.ts';
import type { FetchLike } from '../../../src/core/provider.ts';
import { fileProviderCache, providerCacheDigest } from '../../../src/core/provider-cache.ts';
import { authFor, browserOpener, providerSigningKey } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

type SigningKey = Parameters<SignJWT['sign']>[0];

interface Recorded {
  readonly what: string;
  readonly started: number;
  ended: number;
}

/** Records every request the library makes: `METHOD path`, when it started and when its answer came. */
function recordingFetch(): { fetch: FetchLike; requests: Recorded[] } {
  const requests: Recorded[] = [];
  let clock = 0;
  return {
    requests,
    fetch: async (url, init) => {
      const entry: Recorded = {
        what: `${init.method ?? 'GET'} ${new URL(url).pathname}`,
        started: clock++,
        ended: -1,
      };
      requests.push(entry);
      const response = await fetch(url, init);
      entry.ended = clock++;
      return response;
    },
  };
}

const noBrowser = async (): Promise<void> => {
  throw new Error('restore must not open the browser');
};

// The discovery document kept between launches (DesktopAuthOptions.providerCache), against the
// real local provider, which sends `Cache-Control: public, max-age=3600` with it.
describe('provider cache: silent sign-in at start-up in one round trip', () => {
  let stack: LocalStack;
  let browser: Browser;
  let dir: string;
  let cacheFile: string;
  const vault = new TestVault();
  const instances = new OpenInstances<DesktopAuth>();

  /** A fresh library instance on the shared vault and cache file, as at app launch. */
  const launch = (
    options: Omit<Partial<DesktopAuthOptions>, 'config'> = {},
    config: Record<string, unknown> = {},
  ): DesktopAuth =>
    instances.add(
      authFor(stack, {
        vault,
        providerCache: fileProviderCache(cacheFile),
        logger: recordingLogger(),
        openBrowser: noBrowser,
        ...options,
        config,
      }),
    );

  /** Signs alice in through the browser, storing a session (and the document) for the next launches. */
  const signInThroughBrowser = async (config: Record<string, unknown> = {}): Promise<void> => {
    const context = await browser.newContext();
    const opener = browserOpener(await context.newPage());
    const auth = launch({ openBrowser: opener.open }, config);
    await auth.signIn();
    await opener.settled();
    auth.close();
    await context.close();
  };

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    dir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-provider-cache-'));
    cacheFile = path.join(dir, 'provider.json');
    await signInThroughBrowser();
  });
  afterAll(async () => {
    instances.closeAll();
    await browser?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the sign-in stored the discovery document (owner-only) and its digest with the refresh token', async () => {
    const raw = await readFile(cacheFile, 'utf8');
    expect(JSON.parse(raw)).toMatchObject({ v: 1, metadata: { issuer: stack.issuer } });
    if (process.platform !== 'win32') expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(vault.value ?? '{}')).toMatchObject({
      provider_cache_sha256: providerCacheDigest(raw),
    });
  });

  it('the next launch restores with no discovery request: the refresh grant, and the JWKS fetched alongside it', async () => {
    const recorder = recordingFetch();
    const auth = launch({ fetch: recorder.fetch });
    expect(await auth.restore()).toBe('signed-in');
    expect(recorder.requests.map((r) => r.what).sort()).toEqual(['GET /jwks', 'POST /token']);
    // One round trip: the JWKS request started before the token response arrived.
    const token = recorder.requests.find((r) => r.what === 'POST /token');
    const jwks = recorder.requests.find((r) => r.what === 'GET /jwks');
    expect(jwks!.started).toBeLessThan(token!.ended);
    // The refreshed ID token was verified against that JWKS: the profile comes from it.
    expect((await auth.getProfile())?.name).toBe('Alice Liddell');
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('attacker: a rewritten cache file that points the token endpoint elsewhere never receives the refresh token', async () => {
    const received: string[] = [];
    const thief = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
      });
    });
    await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
    try {
      const original = await readFile(cacheFile, 'utf8');
      // Precondition: the vault vouches for the genuine file, so only the digest check can refuse the copy.
      expect(JSON.parse(vault.value ?? '{}')).toMatchObject({
        provider_cache_sha256: providerCacheDigest(original),
      });
      const doc = JSON.parse(original) as { metadata: Record<string, unknown> };
      doc.metadata.token_endpoint = `http://127.0.0.1:${(thief.address() as AddressInfo).port}/token`;
      await writeFile(cacheFile, JSON.stringify(doc));

      const recorder = recordingFetch();
      const auth = launch({ fetch: recorder.fetch });
      expect(await auth.restore()).toBe('signed-in');
      expect(received).toEqual([]);
      // The file did not match the digest in the vault: the provider was discovered again.
      expect(recorder.requests[0]?.what).toBe('GET /.well-known/openid-configuration');
      // And the genuine document is stored again, with its digest in the vault.
      const restored = await readFile(cacheFile, 'utf8');
      expect(JSON.parse(restored)).toMatchObject({ metadata: { token_endpoint: `${stack.issuer}/token` } });
      expect(JSON.parse(vault.value ?? '{}')).toMatchObject({
        provider_cache_sha256: providerCacheDigest(restored),
      });
    } finally {
      await new Promise((resolve) => thief.close(resolve));
    }
  });

  /** A fetch whose refresh-grant answers carry an ID token re-signed with `key` (the provider's or another). */
  const resigningFetch =
    (key: SigningKey, requests: string[] = []): FetchLike =>
    async (url, init) => {
      requests.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
      const response = await fetch(url, init);
      if (!(init.body instanceof URLSearchParams) || init.body.get('grant_type') !== 'refresh_token')
        return response;
      const body = (await response.json()) as { id_token: string };
      const header = decodeProtectedHeader(body.id_token);
      body.id_token = await new SignJWT(decodeJwt(body.id_token))
        .setProtectedHeader({ alg: 'RS256', kid: header.kid!, typ: header.typ })
        .sign(key);
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };

  it('control: a refreshed ID token re-signed with the provider key passes on a cached launch', async () => {
    const requests: string[] = [];
    const key = await importJWK(await providerSigningKey(stack), 'RS256');
    const auth = launch({ fetch: resigningFetch(key, requests) });
    expect(await auth.restore()).toBe('signed-in');
    expect(requests).not.toContain('GET /.well-known/openid-configuration');
  });

  it('attacker: on a cached launch, a refreshed ID token signed with another key is refused', async () => {
    const requests: string[] = [];
    const logger = recordingLogger();
    const { privateKey } = await generateKeyPair('RS256');
    const auth = launch({ logger, fetch: resigningFetch(privateKey, requests) });
    expect(await auth.restore()).toBe('signed-out');
    expect(requests).not.toContain('GET /.well-known/openid-configuration');
    expect(logger.lines.join('\n')).toMatch(/identity token .* failed verification/);
  });

  it('a provider that moved its token endpoint within the max-age: the kept document is dropped, discovered again, and the session restored', async () => {
    // Sign in afresh: the refused launch above consumed the session's refresh token. With Bearer
    // tokens: a DPoP proof names the URL it is sent to (RFC 9449 §4.2 `htu`), and this test
    // forwards /moved/token to /token behind the library's back.
    await signInThroughBrowser({ dpop: 'off' });

    const requests: string[] = [];
    const moved: FetchLike = async (url, init) => {
      const { pathname } = new URL(url);
      requests.push(`${init.method ?? 'GET'} ${pathname}`);
      if (pathname === '/token') return new Response('<h1>Not Found</h1>', { status: 404 });
      if (pathname === '/moved/token') return fetch(`${stack.issuer}/token`, init);
      const response = await fetch(url, init);
      if (!pathname.endsWith('/openid-configuration')) return response;
      const doc = (await response.json()) as Record<string, unknown>;
      return Response.json(
        { ...doc, token_endpoint: `${stack.issuer}/moved/token` },
        { headers: response.headers },
      );
    };
    const auth = launch({ fetch: moved }, { dpop: 'off' });
    expect(await auth.restore()).toBe('signed-in');
    // The kept document was used first, then dropped for a fresh discovery, then the moved endpoint.
    const at = (what: string) => requests.indexOf(what);
    expect(at('POST /token')).toBeGreaterThanOrEqual(0);
    expect(at('GET /.well-known/openid-configuration')).toBeGreaterThan(at('POST /token'));
    expect(at('POST /moved/token')).toBeGreaterThan(at('GET /.well-known/openid-configuration'));
    // The genuine new document is kept, and the vault vouches for it.
    const kept = await readFile(cacheFile, 'utf8');
    expect(JSON.parse(kept)).toMatchObject({ metadata: { token_endpoint: `${stack.issuer}/moved/token` } });
    expect(JSON.parse(vault.value ?? '{}')).toMatchObject({
      provider_cache_sha256: providerCacheDigest(kept),
    });
  });

  it('a stored document past its max-age is not used: the provider is discovered again', async () => {
    const recorder = recordingFetch();
    const auth = launch({ fetch: recorder.fetch, now: () => Date.now() + 2 * 60 * 60 * 1000 });
    expect(await auth.restore()).toBe('signed-in');
    expect(recorder.requests[0]?.what).toBe('GET /.well-known/openid-configuration');
  });

  it('without a provider cache every launch discovers first (three requests, two round trips)', async () => {
    const recorder = recordingFetch();
    const auth = instances.add(
      authFor(stack, { vault, fetch: recorder.fetch, logger: recordingLogger(), openBrowser: noBrowser }),
    );
    expect(await auth.restore()).toBe('signed-in');
    expect(recorder.requests[0]?.what).toBe('GET /.well-known/openid-configuration');
    expect(recorder.requests.map((r) => r.what).sort()).toEqual([
      'GET /.well-known/openid-configuration',
      'GET /jwks',
      'POST /token',
    ]);
    auth.close();
  });

  it('a provider that sends no Cache-Control gets no stored document, and the vault no digest', async () => {
    const uncached = path.join(dir, 'uncached.json');
    const stripCacheControl: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      const headers = new Headers(response.headers);
      headers.delete('cache-control');
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    };
    const auth = launch({ fetch: stripCacheControl, providerCache: fileProviderCache(uncached) });
    expect(await auth.restore()).toBe('signed-in');
    await expect(stat(uncached)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(JSON.parse(vault.value ?? '{}')).not.toHaveProperty('provider_cache_sha256');
  });
});
