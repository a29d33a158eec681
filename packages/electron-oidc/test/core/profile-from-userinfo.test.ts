// getProfile() completes the profile from userinfo (OIDC Core §5.3) when the ID token has
// only `sub`, as many providers issue it. A provider that said no is not asked again in
// the session; a transient failure (5xx, network) is retried after USERINFO_RETRY_MS.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDesktopAuth, USERINFO_RETRY_MS } from '../../src/core/desktop-auth.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';

const ISSUER = 'https://idp.test/';
const CLIENT_ID = 'app';
const ALICE = { sub: 'alice', name: 'Alice Liddell', email: 'alice@example.com' };

type UserinfoAnswer = () => Response;
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A provider behind the library's `fetch` option whose ID tokens carry only `sub`. */
async function stubProvider(userinfoAnswers: UserinfoAnswer[]) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let nonce = '';
  let userinfoCalls = 0;
  const fetch = async (url: string): Promise<Response> => {
    const { pathname } = new URL(url);
    switch (pathname) {
      case '/.well-known/openid-configuration':
        return json(200, {
          issuer: ISSUER,
          authorization_endpoint: `${ISSUER}authorize`,
          token_endpoint: `${ISSUER}token`,
          userinfo_endpoint: `${ISSUER}userinfo`,
          jwks_uri: `${ISSUER}jwks`,
          id_token_signing_alg_values_supported: ['ES256'],
        });
      case '/jwks':
        return json(200, { keys: [jwk] });
      case '/token': {
        const idToken = await new SignJWT({ nonce })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setSubject(ALICE.sub)
          .setAudience(CLIENT_ID)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        return json(200, {
          access_token: 'opaque',
          token_type: 'Bearer',
          expires_in: 300,
          id_token: idToken,
        });
      }
      case '/userinfo': {
        const answer = userinfoAnswers[userinfoCalls++] ?? (() => json(200, ALICE));
        return answer();
      }
      default:
        return json(404, { error: 'not_found' });
    }
  };
  // The system browser: the provider sends it straight back to the loopback redirect URI.
  const openBrowser = async (authorizationUrl: string): Promise<void> => {
    const request = new URL(authorizationUrl);
    nonce = request.searchParams.get('nonce')!;
    const callback = new URL(request.searchParams.get('redirect_uri')!);
    callback.searchParams.set('code', 'code-1');
    callback.searchParams.set('state', request.searchParams.get('state')!);
    await globalThis.fetch(callback);
  };
  return { fetch, openBrowser, userinfoCalls: () => userinfoCalls };
}

async function signedIn(userinfoAnswers: UserinfoAnswer[]) {
  const provider = await stubProvider(userinfoAnswers);
  let clock = Date.now();
  const auth = createDesktopAuth({
    config: { issuer: ISSUER, clientId: CLIENT_ID, apiAudience: 'https://api.test' },
    vault: new MemoryVault(),
    logger: silentLogger,
    fetch: provider.fetch,
    openBrowser: provider.openBrowser,
    now: () => clock,
  });
  const atSignIn = await auth.signIn();
  return { auth, provider, atSignIn, advance: (ms: number) => (clock += ms) };
}

describe('the profile from userinfo when the ID token has only sub', () => {
  it('is completed from userinfo at sign-in', async () => {
    const { auth, atSignIn } = await signedIn([]);
    expect(atSignIn).toEqual(ALICE);
    auth.close();
  });

  it('after a transient failure (503) is completed on a call made once USERINFO_RETRY_MS has passed', async () => {
    const { auth, provider, atSignIn, advance } = await signedIn([
      () => json(503, { error: 'temporarily_unavailable' }),
    ]);
    expect(atSignIn).toEqual({ sub: 'alice' });
    advance(USERINFO_RETRY_MS - 1);
    expect(await auth.getProfile()).toEqual({ sub: 'alice' });
    expect(provider.userinfoCalls()).toBe(1);
    advance(1);
    expect(await auth.getProfile()).toEqual(ALICE);
    expect(provider.userinfoCalls()).toBe(2);
    auth.close();
  });

  it('after the provider refused (401 invalid_token) is not asked again in this session', async () => {
    const refused = () =>
      new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    const { auth, provider, atSignIn, advance } = await signedIn([refused]);
    expect(atSignIn).toEqual({ sub: 'alice' });
    advance(10 * USERINFO_RETRY_MS);
    expect(await auth.getProfile()).toEqual({ sub: 'alice' });
    expect(provider.userinfoCalls()).toBe(1);
    auth.close();
  });
});
