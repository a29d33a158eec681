import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { AuthConfigInput } from '../../../src/core/config.ts';

const ISSUER = 'https://idp.test/';
const CLIENT_ID = 'app';

/** One answer of the userinfo endpoint. */
export type UserinfoAnswer = () => Response;

export const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** What {@link stubProvider} plays. */
export interface StubProviderOptions {
  /** The user: the ID token carries only `sub`, userinfo all of it. */
  user: { readonly sub: string; readonly [claim: string]: unknown };
  /** The userinfo endpoint's answers in turn; then `user`. */
  userinfoAnswers?: UserinfoAnswer[];
  /** Whether the token endpoint issues a refresh token (default: no). */
  refreshToken?: boolean;
}

/**
 * A provider behind the library's `fetch` option whose ID tokens carry only
 * `sub`, and a system browser that the provider sends straight back to the
 * loopback redirect URI.
 */
export async function stubProvider(options: StubProviderOptions) {
  const { user, userinfoAnswers = [] } = options;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let nonce = '';
  let userinfoCalls = 0;
  const token = async (): Promise<Response> => {
    const idToken = await new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setSubject(user.sub)
      .setAudience(CLIENT_ID)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    return json(200, {
      access_token: 'opaque',
      token_type: 'Bearer',
      expires_in: 300,
      id_token: idToken,
      ...(options.refreshToken === true ? { refresh_token: 'rt-1' } : {}),
    });
  };
  const fetch = async (url: string): Promise<Response> => {
    switch (new URL(url).pathname) {
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
      case '/token':
        return token();
      case '/userinfo':
        return (userinfoAnswers[userinfoCalls++] ?? (() => json(200, user)))();
      default:
        return json(404, { error: 'not_found' });
    }
  };
  const openBrowser = async (authorizationUrl: string): Promise<void> => {
    const request = new URL(authorizationUrl);
    nonce = request.searchParams.get('nonce')!;
    const callback = new URL(request.searchParams.get('redirect_uri')!);
    callback.searchParams.set('code', 'code-1');
    callback.searchParams.set('state', request.searchParams.get('state')!);
    await globalThis.fetch(callback);
  };
  const config: AuthConfigInput = { issuer: ISSUER, clientId: CLIENT_ID, apiAudience: 'https://api.test' };
  return { config, fetch, openBrowser, userinfoCalls: () => userinfoCalls };
}
