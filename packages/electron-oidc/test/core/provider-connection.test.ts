// ProviderConnection's refresh grant and the JWKS fetched alongside it, against an in-memory
// provider (a fake fetch): which requests are made, and that a prefetched JWKS answer is never
// handed to a request it was not made for.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineConfig } from '../../src/core/config.ts';
import { ProviderConnection } from '../../src/core/provider.ts';
import type { FetchLike } from '../../src/core/provider.ts';

const ISSUER = 'https://idp.example.com';
const CLIENT_ID = 'desktop-app';

interface FakeProvider {
  fetch: FetchLike;
  requests: string[];
  /** Signs the ID token of the next refresh answers with this key (none: no ID token). */
  signWith: { kid: string; key: CryptoKeyLike } | undefined;
  jwks: { keys: object[] };
}

type CryptoKeyLike = Parameters<SignJWT['sign']>[0];

function fakeProvider(metadata: Record<string, unknown> = {}): FakeProvider {
  const provider: FakeProvider = {
    requests: [],
    signWith: undefined,
    jwks: { keys: [] },
    fetch: async (url, init) => {
      const { pathname } = new URL(url);
      provider.requests.push(`${init.method ?? 'GET'} ${url}`);
      if (pathname === '/.well-known/openid-configuration') {
        return Response.json({
          issuer: ISSUER,
          authorization_endpoint: `${ISSUER}/authorize`,
          token_endpoint: `${ISSUER}/token`,
          jwks_uri: `${ISSUER}/jwks`,
          ...metadata,
        });
      }
      if (pathname === '/jwks') return Response.json(provider.jwks);
      if (pathname === '/token') {
        const now = Math.floor(Date.now() / 1000);
        const idToken =
          provider.signWith === undefined
            ? undefined
            : await new SignJWT({ sub: 'alice' })
                .setProtectedHeader({ alg: 'RS256', kid: provider.signWith.kid })
                .setIssuer(ISSUER)
                .setAudience(CLIENT_ID)
                .setIssuedAt(now)
                .setExpirationTime(now + 300)
                .sign(provider.signWith.key);
        return Response.json({
          access_token: `at-${provider.requests.length}`,
          token_type: 'Bearer',
          expires_in: 600,
          ...(idToken === undefined ? {} : { id_token: idToken }),
        });
      }
      return new Response('not found', { status: 404 });
    },
  };
  return provider;
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, key: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const connect = (provider: FakeProvider) =>
  new ProviderConnection(
    defineConfig({ issuer: ISSUER, clientId: CLIENT_ID, apiAudience: 'https://api.example.com' }),
    {
      fetch: provider.fetch,
    },
  );

const jwksRequests = (provider: FakeProvider) => provider.requests.filter((r) => r.endsWith('/jwks')).length;

afterEach(() => {
  vi.useRealTimers();
});

describe('ProviderConnection.refresh and the JWKS fetched alongside', () => {
  it('the JWKS request starts with the grant, and the ID token is verified with what it brought', async () => {
    const provider = fakeProvider();
    const key = await signingKey('k1');
    provider.jwks = { keys: [key.jwk] };
    provider.signWith = key;
    const connection = connect(provider);
    const tokens = await connection.refresh('rt', {});
    expect(tokens.claims()?.sub).toBe('alice');
    expect(provider.requests).toEqual([
      `GET ${ISSUER}/.well-known/openid-configuration`,
      `GET ${ISSUER}/jwks`,
      `POST ${ISSUER}/token`,
    ]);
  });

  it('every refresh expecting an ID token fetches the JWKS beside it; one openid-client did not ask for is released', async () => {
    const provider = fakeProvider();
    const key = await signingKey('k1');
    provider.jwks = { keys: [key.jwk] };
    provider.signWith = key;
    // When openid-client refetches its copy is its own rule: the connection does not guess it.
    const released: string[] = [];
    const connection = connect({
      ...provider,
      fetch: async (url, init) => {
        const response = await provider.fetch(url, init);
        if (!url.endsWith('/jwks')) return response;
        const bytes = new Uint8Array(await response.arrayBuffer());
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          pull: (controller) => {
            if (sent) controller.close();
            else controller.enqueue(bytes);
            sent = true;
          },
          cancel: () => void released.push(url),
        });
        return new Response(body, { headers: response.headers });
      },
    });
    await connection.refresh('rt', {});
    // openid-client's copy is fresh: it does not ask, and the second prefetch is released.
    const tokens = await connection.refresh('rt', {});
    expect(tokens.claims()?.sub).toBe('alice');
    expect(jwksRequests(provider)).toBe(2);
    await vi.waitFor(() => expect(released).toEqual([`${ISSUER}/jwks`]));
  });

  it('attacker: an ID token signed with a key the JWKS does not hold is refused', async () => {
    const provider = fakeProvider();
    provider.jwks = { keys: [(await signingKey('k1')).jwk] };
    provider.signWith = { ...(await signingKey('k1')) };
    await expect(connect(provider).refresh('rt', {})).rejects.toThrow();
  });

  it('a used prefetch is never handed to a later JWKS request (a key rotated a minute later is fetched anew)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const provider = fakeProvider();
    const first = await signingKey('k1');
    provider.jwks = { keys: [first.jwk] };
    provider.signWith = first;
    const connection = connect(provider);
    await connection.refresh('rt', {});
    // 100 s later the provider signs with a new key; openid-client refetches the JWKS for the
    // unknown kid and is handed the response fetched beside this refresh, not the first one.
    vi.setSystemTime(Date.now() + 100_000);
    const second = await signingKey('k2');
    provider.jwks = { keys: [first.jwk, second.jwk] };
    provider.signWith = second;
    const tokens = await connection.refresh('rt', {});
    expect(tokens.claims()?.sub).toBe('alice');
    expect(jwksRequests(provider)).toBe(2);
  });

  it('a provider whose refresh answers carry no ID token: the JWKS is requested alongside the first only', async () => {
    const provider = fakeProvider();
    const connection = connect(provider);
    await connection.refresh('rt', {});
    await connection.refresh('rt', {});
    await connection.refresh('rt', {});
    expect(jwksRequests(provider)).toBe(1);
  });

  it('an http jwks_uri from an https provider is never fetched (openid-client refuses it too)', async () => {
    const provider = fakeProvider({ jwks_uri: 'http://idp.example.com/jwks' });
    await connect(provider).refresh('rt', {});
    expect(provider.requests.some((r) => r.startsWith('GET http:'))).toBe(false);
  });
});
