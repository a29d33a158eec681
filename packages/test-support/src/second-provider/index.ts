/**
 * The second provider profile: a small OpenID Provider written with jose, configured
 * unlike the local one (apps/dev-idp) on every point where real providers are known to
 * differ. oidc-provider cannot be bent to all of them: it always sends RFC 9207 `iss`
 * (lib/actions/discovery.js), its ID token `aud` is the client id alone, and its userinfo
 * endpoint refuses access tokens that carry an audience (lib/actions/userinfo.js).
 *
 * | point                    | local provider                | this profile                                  |
 * | ------------------------ | ----------------------------- | --------------------------------------------- |
 * | issuer                   | `http://127.0.0.1:P`          | `http://127.0.0.1:P/` (trailing slash)        |
 * | redirect URI             | any loopback port (native)    | one exact port; any other is refused          |
 * | API audience             | RFC 8707 `resource`           | Auth0-style `audience` parameter              |
 * | refresh token            | rotated                       | never rotated: same one back, or none         |
 * | access token             | `typ: at+jwt`, `aud` the API  | `typ: JWT`, `aud` [API, client id], `azp`     |
 * | ID token                 | `aud` client, profile claims  | `aud` [client id, API] + `azp`, `sub` & co    |
 * | profile                  | in the ID token               | only from userinfo (JWT access token)         |
 * | revocation (RFC 7009)    | yes                           | no endpoint                                   |
 * | `iss` in the redirect    | yes (RFC 9207)                | no, and not advertised                        |
 * | consent page             | yes                           | none (first-party app)                        |
 *
 * Login and sign-out pages reuse the local provider's views and demo users, so the tests'
 * browser helpers (`completeLogin`, `completeLogout`) drive both profiles alike.
 *
 * One module per endpoint: discovery.ts (discovery and JWKS), authorize.ts,
 * interaction.ts (login page), token.ts, userinfo.ts, end-session.ts; signing.ts signs
 * the tokens, http.ts holds the helpers they share, types.ts the records they keep.
 */
import { createServer } from 'node:http';
import express from 'express';
import { avatarRoutes } from '@electron-oidc/dev-idp/pages';
import { closeServer, listenOnLoopback, LOOPBACK_HOST } from '../loopback.ts';
import { authorizeRoutes } from './authorize.ts';
import { discoveryRoutes } from './discovery.ts';
import { endSessionRoutes } from './end-session.ts';
import { interactionRoutes } from './interaction.ts';
import { tokenRoutes } from './token.ts';
import { generateSigningKey } from './signing.ts';
import { API_SCOPE, SECOND_API_AUDIENCE, SECOND_CLIENT_ID } from './types.ts';
import type { ProviderContext, RunningSecondProvider, SecondProviderOptions } from './types.ts';
import { userinfoRoutes } from './userinfo.ts';

export { SECOND_API_AUDIENCE, SECOND_CLIENT_ID } from './types.ts';
export type {
  RefreshTokenAnswer,
  RunningSecondProvider,
  SecondProviderOptions,
  SecondProviderTampering,
} from './types.ts';

function providerApp(ctx: ProviderContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => {
    ctx.hits.set(req.path, (ctx.hits.get(req.path) ?? 0) + 1);
    next();
  });
  app.use(express.urlencoded({ extended: false }));
  app.use(avatarRoutes());
  app.use(discoveryRoutes(ctx));
  app.use(authorizeRoutes(ctx));
  app.use(interactionRoutes(ctx));
  app.use(tokenRoutes(ctx));
  app.use(userinfoRoutes(ctx));
  app.use(endSessionRoutes(ctx));
  return app;
}

/** Starts the second provider on an ephemeral loopback port. */
export async function startSecondProvider(options: SecondProviderOptions): Promise<RunningSecondProvider> {
  const key = await generateSigningKey();
  const server = createServer();
  const { origin, port } = await listenOnLoopback(server);
  const ctx: ProviderContext = {
    issuer: `${origin}/`,
    origin,
    clientId: options.clientId ?? SECOND_CLIENT_ID,
    apiAudience: options.apiAudience ?? SECOND_API_AUDIENCE,
    redirectUri: `http://${LOOPBACK_HOST}:${options.redirectPort}/callback`,
    postLogoutRedirectUri: `http://${LOOPBACK_HOST}:${options.redirectPort}/logout`,
    refreshTokenAnswer: options.refreshTokenAnswer ?? 'same',
    accessTokenTtl: options.accessTokenTtl ?? 300,
    key,
    interactions: new Map(),
    codes: new Map(),
    refreshTokens: new Map(),
    sessions: new Map(),
    tampering: { authorizationResponseIss: undefined, userinfoFailures: 0 },
    hits: new Map(),
  };
  server.on('request', providerApp(ctx));

  let closing: Promise<void> | undefined;
  return {
    issuer: ctx.issuer,
    port,
    clientId: ctx.clientId,
    apiAudience: ctx.apiAudience,
    redirectPort: options.redirectPort,
    redirectUri: ctx.redirectUri,
    postLogoutRedirectUri: ctx.postLogoutRedirectUri,
    apiScope: API_SCOPE,
    tampering: ctx.tampering,
    hits: ctx.hits,
    close() {
      closing ??= closeServer(server);
      return closing;
    },
  };
}
