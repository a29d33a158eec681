import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiFetch, isInvalidTokenChallenge } from '../../src/core/api-client.ts';
import { defineConfig } from '../../src/core/config.ts';
import { DPoPKey } from '../../src/core/dpop/key.ts';

let server: Server;
let baseUrl: string;
let seen: Array<{ url: string; headers: IncomingHttpHeaders }>;
let answer: (auth: string | undefined) => { status: number; headers?: Record<string, string> };

beforeEach(async () => {
  seen = [];
  answer = () => ({ status: 200 });
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    const { status, headers } = answer(req.headers.authorization);
    res.writeHead(status, headers).end('body');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function setup() {
  let n = 0;
  const getAccessToken = vi.fn(async (options?: { rejected?: string }) =>
    options?.rejected === undefined ? `token-${n}` : `token-${++n}`,
  );
  const config = defineConfig({ apiAudience: baseUrl });
  const getAccessCredential = async (options?: { rejected?: string }) => ({
    accessToken: await getAccessToken(options),
    dpopKey: undefined,
  });
  return { getAccessToken, fetchApi: createApiFetch({ config, getAccessCredential }) };
}

describe('fetchApi', () => {
  it('attaches the bearer token to the configured API origin, resolving paths against it', async () => {
    const { fetchApi } = setup();
    const res = await fetchApi('/private?x=1');
    expect(res.status).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ url: '/private?x=1' })]);
    expect(seen[0]?.headers.authorization).toBe('Bearer token-0');
  });

  it.each(['http://127.0.0.1:1/private', 'https://evil.example/private', '//evil.example/x'])(
    'refuses another origin (%s) before a token is even fetched',
    async (target) => {
      const { fetchApi, getAccessToken } = setup();
      await expect(fetchApi(target)).rejects.toMatchObject({ code: 'ERR_API_ORIGIN_REFUSED' });
      expect(getAccessToken).not.toHaveBeenCalled();
      expect(seen).toEqual([]);
    },
  );

  it('on 401 invalid_token, refreshes and retries exactly once', async () => {
    answer = (auth) =>
      auth === 'Bearer token-1'
        ? { status: 200 }
        : { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' } };
    const { fetchApi, getAccessToken } = setup();
    const res = await fetchApi('/private');
    expect(res.status).toBe(200);
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer token-0', 'Bearer token-1']);
    expect(getAccessToken).toHaveBeenLastCalledWith({ rejected: 'token-0' });
  });

  it('a second 401 is returned to the caller, not retried again', async () => {
    answer = () => ({ status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    const { fetchApi } = setup();
    expect((await fetchApi('/private')).status).toBe(401);
    expect(seen).toHaveLength(2);
  });

  it('a 401 without invalid_token (e.g. no token accepted at all) is not retried', async () => {
    answer = () => ({ status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' } });
    const { fetchApi } = setup();
    expect((await fetchApi('/private')).status).toBe(401);
    expect(seen).toHaveLength(1);
  });

  it('does not follow a redirect that could carry the token elsewhere', async () => {
    answer = () => ({ status: 302, headers: { Location: 'https://evil.example/steal' } });
    const { fetchApi } = setup();
    const res = await fetchApi('/private');
    expect(res.status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it('isInvalidTokenChallenge reads RFC 6750 challenges', () => {
    const make = (status: number, header?: string) =>
      new Response(null, { status, headers: header === undefined ? {} : { 'WWW-Authenticate': header } });
    expect(
      isInvalidTokenChallenge(make(401, 'Bearer error="invalid_token", error_description="expired"')),
    ).toBe(true);
    expect(isInvalidTokenChallenge(make(401, 'Bearer error="insufficient_scope"'))).toBe(false);
    expect(isInvalidTokenChallenge(make(403, 'Bearer error="invalid_token"'))).toBe(false);
    expect(isInvalidTokenChallenge(make(401))).toBe(false);
  });
});

describe('fetchApi with a DPoP-bound token (RFC 9449 §7.1)', () => {
  async function setupBound() {
    const dpopKey = await DPoPKey.generate('ES256');
    let n = 0;
    const getAccessCredential = vi.fn(async (options?: { rejected?: string }) => ({
      accessToken: options?.rejected === undefined ? `token-${n}` : `token-${++n}`,
      dpopKey,
    }));
    const config = defineConfig({ apiAudience: baseUrl });
    return { getAccessCredential, fetchApi: createApiFetch({ config, getAccessCredential }) };
  }

  const proofOf = (i: number) => {
    const proof = seen[i]?.headers.dpop;
    return typeof proof === 'string'
      ? JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString())
      : undefined;
  };

  it('sends Authorization: DPoP and a proof for this method and URL (query left out), a new one each time', async () => {
    const { fetchApi } = await setupBound();
    await fetchApi('/private?x=1', { method: 'POST', body: 'hello' });
    await fetchApi('/private?x=1', { method: 'POST', body: 'hello' });
    expect(seen[0]?.headers.authorization).toBe('DPoP token-0');
    expect(proofOf(0)).toMatchObject({ htm: 'POST', htu: `${baseUrl}/private`, ath: expect.any(String) });
    expect(proofOf(1).jti).not.toBe(proofOf(0).jti);
  });

  it('a caller’s own Authorization or DPoP header is replaced', async () => {
    const { fetchApi } = await setupBound();
    await fetchApi('/private', { headers: { Authorization: 'Bearer mine', DPoP: 'forged' } });
    expect(seen[0]?.headers.authorization).toBe('DPoP token-0');
    expect(seen[0]?.headers.dpop).not.toBe('forged');
  });

  it('on a DPoP invalid_token challenge, refreshes and retries once, with a new proof', async () => {
    answer = (auth) =>
      auth === 'DPoP token-1'
        ? { status: 200 }
        : { status: 401, headers: { 'WWW-Authenticate': 'DPoP algs="ES256", error="invalid_token"' } };
    const { fetchApi, getAccessCredential } = await setupBound();
    expect((await fetchApi('/private')).status).toBe(200);
    expect(seen.map((s) => s.headers.authorization)).toEqual(['DPoP token-0', 'DPoP token-1']);
    expect(getAccessCredential).toHaveBeenLastCalledWith({ rejected: 'token-0' });
  });

  it('does not follow a redirect', async () => {
    answer = () => ({ status: 302, headers: { Location: 'https://evil.example/steal' } });
    const { fetchApi } = await setupBound();
    expect((await fetchApi('/private')).status).toBe(302);
    expect(seen).toHaveLength(1);
  });
});
