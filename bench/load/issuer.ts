// The load run's token issuer: the shared fake issuer on loopback (discovery, a JWKS with one
// RS256 key), with access tokens (RFC 9068) signed in bulk, valid or deliberately wrong.
import { FakeIssuer } from '@electron-oidc/test-support';

export const LOAD_AUDIENCE = 'https://api.load.example';

export interface LoadIssuer {
  url: string;
  /** An access token; `claims` replace the defaults (a valid token with `read:messages`). */
  sign(claims?: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startLoadIssuer(): Promise<LoadIssuer> {
  const issuer = await FakeIssuer.start({ audience: LOAD_AUDIENCE, lifetime: 3600 });
  return { url: issuer.url, sign: (claims) => issuer.signSync(claims), close: () => issuer.close() };
}
