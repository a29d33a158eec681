/** The tokens the second provider signs: `typ: JWT` access tokens and ID tokens, both RS256. */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { nowSeconds, random } from './http.ts';
import { API_SCOPE, OIDC_SCOPES } from './types.ts';
import type { Grant, ProviderContext, SigningKey } from './types.ts';

/** A new RS256 key, with the JWKS that publishes it. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicKey, kid, jwks: { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] } };
}

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
function leftHalfHash(token: string): string {
  const digest = createHash('sha256').update(token).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function sign(ctx: ProviderContext, payload: JWTPayload, ttl: number): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: ctx.key.kid, typ: 'JWT' })
    .setIssuer(ctx.issuer)
    .setIssuedAt()
    .setExpirationTime(nowSeconds() + ttl)
    .sign(ctx.key.privateKey);
}

export interface IssuedTokens {
  accessToken: string;
  idToken: string;
  scope: string;
}

/** Access token and ID token of one grant; `nonce` only on the first ID token (OIDC Core §12.2). */
export async function issueTokens(
  ctx: ProviderContext,
  grant: Grant,
  nonce: string | undefined,
): Promise<IssuedTokens> {
  const scope = [...grant.scopes.filter((s) => OIDC_SCOPES.includes(s)), API_SCOPE].join(' ');
  const accessToken = await sign(
    ctx,
    {
      sub: grant.sub,
      // Auth0-style: the API and, so the token also opens userinfo, the client.
      aud: [ctx.apiAudience, grant.clientId],
      azp: grant.clientId,
      scope,
      jti: random(),
    },
    ctx.accessTokenTtl,
  );
  const idToken = await sign(
    ctx,
    {
      sub: grant.sub,
      // OIDC Core §2: with more than one audience, azp names the client.
      aud: [grant.clientId, ctx.apiAudience],
      azp: grant.clientId,
      auth_time: grant.authTime,
      at_hash: leftHalfHash(accessToken),
      ...(nonce === undefined ? {} : { nonce }),
    },
    3600,
  );
  return { accessToken, idToken, scope };
}
