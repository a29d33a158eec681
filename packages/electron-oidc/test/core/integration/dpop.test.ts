import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchBrowser, OpenInstances, recordingLogger, TestVault } from '@electron-oidc/test-support';
import type { RecordingLogger } from '@electron-oidc/test-support';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import type { JWK } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { FetchLike } from '../../../src/core/provider.ts';
import { authFor, browserOpener, countingFetch, discoverDirectly, requestParameters } from './harness.ts';
import type { CountingFetch } from './harness.ts';
import { startLocalStack } from '../../support/local-stack.ts';
import type { LocalStack } from '../../support/local-stack.ts';

interface TokenCall {
  readonly grant: string;
  /** The request's DPoP proof, if any. */
  readonly proof: string | null;
  readonly answer: { token_type?: string; access_token?: string; error?: string };
}

/** A fetch that records every token request's proof and answer (on top of {@link countingFetch}). */
function tokenRecorder(): CountingFetch & { calls: TokenCall[] } {
  const counter = countingFetch();
  const calls: TokenCall[] = [];
  counter.tamper = async (_url, init, response) => {
    const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
    if (grant === null) return response;
    const answer = (await response.clone().json()) as TokenCall['answer'];
    calls.push({ grant, proof: new Headers(init.headers).get('dpop'), answer });
    return response;
  };
  return Object.assign(counter, { calls });
}

interface StoredEntry {
  v: number;
  refresh_token: string;
  dpop?: { alg: string; jkt: string; jwk: JWK };
}

const entryOf = (vault: TestVault): StoredEntry => JSON.parse(vault.value!) as StoredEntry;

/** The public JWK in a proof's header, and its thumbprint (RFC 7638). */
async function proofKey(proof: string): Promise<string> {
  return calculateJwkThumbprint(decodeProtectedHeader(proof).jwk!);
}

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
const instances = new OpenInstances<DesktopAuth>();

beforeAll(async () => {
  [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
  context = await browser.newContext();
});
afterEach(() => instances.closeAll());
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.close();
});

/** Signs alice in through Chromium; resolves with what was recorded. */
async function signIn(
  options: { vault?: TestVault; config?: Record<string, unknown>; logger?: RecordingLogger } = {},
) {
  const page = await context.newPage();
  const opener = browserOpener(page);
  const recorder = tokenRecorder();
  const vault = options.vault ?? new TestVault();
  const auth = instances.add(
    authFor(stack, { vault, openBrowser: opener.open, fetch: recorder.fetch, ...options }),
  );
  await auth.signIn();
  await opener.settled();
  // Leaving for about:blank first keeps the close from waiting on the closed listener's connection.
  await page.goto('about:blank').catch(() => {});
  await page.close();
  return { auth, vault, recorder, opened: new URL(opener.opened[0]!) };
}

/** A new library instance on `vault`, as at the next launch. */
function relaunch(vault: TestVault, fetch?: FetchLike, logger = recordingLogger()) {
  const auth = instances.add(
    authFor(stack, {
      vault,
      logger,
      ...(fetch === undefined ? {} : { fetch }),
      openBrowser: async () => {
        throw new Error('restore must not open the browser');
      },
    }),
  );
  return { auth, logger };
}

describe('DPoP (RFC 9449) against the local provider', () => {
  it('the tokens are DPoP-bound: token_type DPoP, and the access token’s cnf.jkt is the stored key’s thumbprint', async () => {
    const { vault, recorder } = await signIn();
    const [call] = recorder.calls;
    expect(call?.grant).toBe('authorization_code');
    expect(call?.proof).toEqual(expect.any(String));
    expect(call?.answer.token_type).toBe('DPoP');

    const entry = entryOf(vault);
    expect(entry.v).toBe(2);
    expect(entry.dpop?.alg).toBe('ES256');
    // The stored key is the one whose thumbprint the provider bound the token to (RFC 9449 §6.1).
    const { d: _private, ...publicJwk } = entry.dpop!.jwk;
    expect(await calculateJwkThumbprint(publicJwk)).toBe(entry.dpop!.jkt);
    expect(await proofKey(call!.proof!)).toBe(entry.dpop!.jkt);
    expect(decodeJwt(call!.answer.access_token!).cnf).toEqual({ jkt: entry.dpop!.jkt });
    // The proof never carries the private key (RFC 9449 §4.2).
    expect(decodeProtectedHeader(call!.proof!).jwk).not.toHaveProperty('d');
  });

  it('attacker: the refresh token taken from the vault entry is refused by the provider without the key, or with another key', async () => {
    const { vault } = await signIn();
    const stolen = entryOf(vault).refresh_token;
    const provider = await discoverDirectly(stack);
    const resource = { resource: stack.idp.apiResource };
    await expect(client.refreshTokenGrant(provider, stolen, resource)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const attackerKey = client.getDPoPHandle(provider, await client.randomDPoPKeyPair('ES256'));
    await expect(
      client.refreshTokenGrant(provider, stolen, resource, { DPoP: attackerKey }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  describe('a restart, and a vault entry that was tampered with', () => {
    let vault: TestVault;

    beforeAll(async () => {
      ({ vault } = await signIn());
    });

    it('a new instance on the same vault restores with the stored key: the refresh carries its proof, the new tokens are bound to it', async () => {
      const { jkt } = entryOf(vault).dpop!;
      const recorder = tokenRecorder();
      const { auth } = relaunch(vault, recorder.fetch);
      expect(await auth.restore()).toBe('signed-in');
      const [call] = recorder.calls;
      expect(call?.grant).toBe('refresh_token');
      expect(await proofKey(call!.proof!)).toBe(jkt);
      expect(call?.answer.token_type).toBe('DPoP');
      expect(decodeJwt(call!.answer.access_token!).cnf).toEqual({ jkt });
      // The rotated refresh token rests with the same key.
      expect(entryOf(vault).dpop?.jkt).toBe(jkt);
    });

    /** Restores from a copy of the entry changed by `tamper`; resolves with the outcome. */
    async function restoreTampered(tamper: (entry: StoredEntry) => void) {
      const copy = new TestVault();
      const entry = entryOf(vault);
      tamper(entry);
      copy.value = JSON.stringify(entry);
      const recorder = tokenRecorder();
      const { auth, logger } = relaunch(copy, recorder.fetch);
      const state = await auth.restore();
      return { state, grants: recorder.grants, log: logger.lines.join('\n') };
    }

    it('an entry whose key was removed is not used: signed out, the reason logged, no refresh sent as Bearer', async () => {
      const outcome = await restoreTampered((entry) => delete entry.dpop);
      expect(outcome).toMatchObject({ state: 'signed-out', grants: [] });
      expect(outcome.log).toMatch(/dpop-key-missing/);
    });

    it('an entry whose key was swapped for another is not used: it does not match the stored thumbprint', async () => {
      const other = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
      const outcome = await restoreTampered((entry) => {
        entry.dpop!.jwk = other;
      });
      expect(outcome).toMatchObject({ state: 'signed-out', grants: [] });
      expect(outcome.log).toMatch(/does not match the thumbprint/);
    });

    it('a Bearer-looking entry (version 1, key and all removed) gets nothing from the provider: the bound refresh token is refused', async () => {
      const outcome = await restoreTampered((entry) => {
        entry.v = 1;
        delete entry.dpop;
      });
      expect(outcome.state).toBe('signed-out');
      expect(outcome.grants).toEqual(['refresh_token']);
      expect(outcome.log).toMatch(/invalid_grant/);
    });
  });

  it('dpop "off": Bearer tokens, no proof, a version 1 entry whose refresh token works for whoever holds it (the control)', async () => {
    const { auth, vault, recorder, opened } = await signIn({ config: { dpop: 'off' } });
    expect(recorder.calls.map((c) => [c.proof, c.answer.token_type])).toEqual([[null, 'Bearer']]);
    expect(decodeJwt(recorder.calls[0]!.answer.access_token!).cnf).toBeUndefined();
    expect(entryOf(vault)).not.toHaveProperty('dpop');
    expect(entryOf(vault).v).toBe(1);
    expect(opened.searchParams.has('dpop_jkt')).toBe(false);
    // Today's API takes Bearer tokens.
    expect((await auth.fetchApi('/private')).status).toBe(200);
    const provider = await discoverDirectly(stack);
    const stolen = await client.refreshTokenGrant(provider, entryOf(vault).refresh_token, {
      resource: stack.idp.apiResource,
    });
    expect(stolen.token_type.toLowerCase()).toBe('bearer');
  });
});

/**
 * A resource server that checks proofs as RFC 9449 §4.3 and §7.1 say (with jose), and
 * demands a server nonce (§9) first: a stand-in for the API until it accepts DPoP.
 */
async function startProofCheckingServer(): Promise<{
  url: string;
  seen: Array<{ scheme: string; nonce: unknown; error?: string }>;
  close(): Promise<void>;
}> {
  const seen: Array<{ scheme: string; nonce: unknown; error?: string }> = [];
  const jtis = new Set<string>();
  const check = async (req: IncomingMessage, origin: string): Promise<{ nonce: unknown }> => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'DPoP' || token === undefined) throw new Error(`scheme ${scheme}`);
    const { payload, protectedHeader } = await jwtVerify(String(req.headers.dpop), EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
      maxTokenAge: 60,
    });
    if (payload.htm !== req.method) throw new Error('htm');
    if (payload.htu !== `${origin}${new URL(req.url!, origin).pathname}`) throw new Error('htu');
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) throw new Error('ath');
    if (jtis.has(String(payload.jti))) throw new Error('jti replayed');
    jtis.add(String(payload.jti));
    const { cnf } = decodeJwt(token) as { cnf?: { jkt?: string } };
    if (cnf?.jkt !== (await calculateJwkThumbprint(protectedHeader.jwk!))) throw new Error('cnf.jkt');
    return { nonce: payload.nonce };
  };
  const server: Server = createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    check(req, origin).then(
      ({ nonce }) => {
        seen.push({ scheme: 'DPoP', nonce });
        if (nonce !== 'n-1') {
          res
            .writeHead(401, { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' })
            .end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"proof accepted"}');
      },
      (err: unknown) => {
        seen.push({
          scheme: String(req.headers.authorization).split(' ')[0]!,
          nonce: undefined,
          error: String(err),
        });
        res.writeHead(401, { 'WWW-Authenticate': 'DPoP error="invalid_dpop_proof"' }).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('API calls with a DPoP-bound token (a proof-checking resource server in the test)', () => {
  it('send Authorization: DPoP with a fresh proof (htm, htu, ath, cnf.jkt), retry a use_dpop_nonce answer once, and keep the nonce', async () => {
    const rs = await startProofCheckingServer();
    try {
      const { auth } = await signIn({ config: { apiBaseUrl: rs.url } });
      const first = await auth.fetchApi('/private?page=1');
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ message: 'proof accepted' });
      // No nonce known: challenged, then retried once with the server's nonce (RFC 9449 §9).
      expect(rs.seen).toEqual([
        { scheme: 'DPoP', nonce: undefined },
        { scheme: 'DPoP', nonce: 'n-1' },
      ]);
      // The origin's nonce is remembered: the next call carries it at once, with a new proof.
      expect((await auth.fetchApi('/private', { method: 'POST', body: 'x' })).status).toBe(200);
      expect(rs.seen.slice(2)).toEqual([{ scheme: 'DPoP', nonce: 'n-1' }]);
    } finally {
      await rs.close();
    }
  });
});

describe('pushed authorization requests (RFC 9126) at the local provider', () => {
  it('the browser is opened on a URL with only client_id and request_uri; the pushed request holds the checks; the sign-in completes', async () => {
    const { opened, recorder, auth } = await signIn();
    expect([...opened.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(opened.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(recorder.pushed).toHaveLength(1);
    const pushed = requestParameters(opened, recorder);
    for (const check of ['state', 'nonce', 'code_challenge', 'redirect_uri']) {
      expect(pushed.get(check)).toEqual(expect.any(String));
      expect(opened.href).not.toContain(encodeURIComponent(pushed.get(check)!));
    }
    expect(auth.state).toBe('signed-in');
  });

  it('a push that cannot reach the provider is ERR_PROVIDER_UNREACHABLE, and no browser is opened', async () => {
    let opened = false;
    const auth = instances.add(
      authFor(stack, {
        fetch: async (url, init) => {
          if (new URL(url).pathname.endsWith('/request')) throw new TypeError('fetch failed');
          return fetch(url, init);
        },
        openBrowser: async () => {
          opened = true;
        },
      }),
    );
    await expect(auth.signIn()).rejects.toMatchObject({ code: 'ERR_PROVIDER_UNREACHABLE' });
    expect(opened).toBe(false);
  });
});
