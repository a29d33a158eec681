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
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Request, Response } from 'express';
import {
  calculateJwkThumbprint,
  compactVerify,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { avatarRoutes, avatarUrl } from '../../../apps/dev-idp/src/avatars.ts';
import {
  CONTENT_SECURITY_POLICY,
  html,
  renderDocument,
} from '../../../apps/dev-idp/src/interactions/html.ts';
import { errorPage, loginPage, WRONG_CREDENTIALS } from '../../../apps/dev-idp/src/interactions/views.ts';
import { findAccountById, verifyPassword } from '../../../apps/dev-idp/src/users.ts';
import type { Account } from '../../../apps/dev-idp/src/users.ts';

/** How the token endpoint answers a refresh: the same refresh token again, or none at all. */
export type RefreshTokenAnswer = 'same' | 'omitted';

export interface SecondProviderOptions {
  /** The one loopback port the redirect URIs are registered with. */
  redirectPort: number;
  clientId?: string;
  /** The API's identifier, sent by the app as `audience` (not `resource`). */
  apiAudience?: string;
  refreshTokenAnswer?: RefreshTokenAnswer;
  /** Seconds. */
  accessTokenTtl?: number;
}

/** Switches a test flips to make this provider misbehave on purpose. */
export interface SecondProviderTampering {
  /** When set, the authorization response carries this `iss` (a mix-up, RFC 9207 §2.4). */
  authorizationResponseIss: string | undefined;
  /** How many of the next userinfo requests fail with 503 (the provider having trouble). */
  userinfoFailures: number;
}

export interface RunningSecondProvider {
  /** `http://127.0.0.1:<port>/`, with the trailing slash, exactly as discovery and tokens name it. */
  issuer: string;
  port: number;
  clientId: string;
  apiAudience: string;
  redirectPort: number;
  /** The registered redirect and post-logout redirect URIs. */
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** The scope the API's access tokens carry. */
  apiScope: string;
  tampering: SecondProviderTampering;
  /** Number of requests at each endpoint path, for tests that assert one was (not) called. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
export const SECOND_CLIENT_ID = 'second-desktop-app';
export const SECOND_API_AUDIENCE = 'https://messages.second-profile.test/';
const API_SCOPE = 'read:messages';
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const SESSION_COOKIE = 'second_session';

interface Interaction {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  codeChallenge: string;
}

interface IssuedCode extends Interaction {
  sub: string;
  authTime: number;
  expiresAt: number;
}

interface Grant {
  sub: string;
  clientId: string;
  scopes: string[];
  authTime: number;
}

interface BrowserSession {
  sub: string;
  authTime: number;
  /** Binds the sign-out form to this session (a CSRF token). */
  logoutToken: string;
}

const random = (): string => randomBytes(32).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Compares two strings without leaking where they differ. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** OIDC Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
function leftHalfHash(token: string): string {
  const digest = createHash('sha256').update(token).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function sendPage(res: Response, status: number, page: string): void {
  res.status(status).set('Content-Security-Policy', CONTENT_SECURITY_POLICY).type('html').send(page);
}

function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  res.status(status).set('Cache-Control', 'no-store').json({ error, error_description: description });
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Starts the second provider on an ephemeral loopback port. */
export async function startSecondProvider(options: SecondProviderOptions): Promise<RunningSecondProvider> {
  const clientId = options.clientId ?? SECOND_CLIENT_ID;
  const apiAudience = options.apiAudience ?? SECOND_API_AUDIENCE;
  const refreshTokenAnswer = options.refreshTokenAnswer ?? 'same';
  const accessTokenTtl = options.accessTokenTtl ?? 300;
  const redirectUri = `http://${HOST}:${options.redirectPort}/callback`;
  const postLogoutRedirectUri = `http://${HOST}:${options.redirectPort}/logout`;

  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${HOST}:${port}`;
  const issuer = `${origin}/`;

  const interactions = new Map<string, Interaction>();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new Map<string, Grant>();
  const sessions = new Map<string, BrowserSession>();
  const tampering: SecondProviderTampering = { authorizationResponseIss: undefined, userinfoFailures: 0 };
  const hits = new Map<string, number>();

  const sign = (payload: JWTPayload, key: CryptoKey, ttl: number): Promise<string> =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(nowSeconds() + ttl)
      .sign(key);

  /** Access token and ID token of one grant; `nonce` only on the first ID token (OIDC Core §12.2). */
  const issueTokens = async (grant: Grant, nonce: string | undefined) => {
    const scope = [...grant.scopes.filter((s) => OIDC_SCOPES.includes(s)), API_SCOPE].join(' ');
    const accessToken = await sign(
      {
        sub: grant.sub,
        // Auth0-style: the API and, so the token also opens userinfo, the client.
        aud: [apiAudience, grant.clientId],
        azp: grant.clientId,
        scope,
        jti: random(),
      },
      privateKey,
      accessTokenTtl,
    );
    const idToken = await sign(
      {
        sub: grant.sub,
        // OIDC Core §2: with more than one audience, azp names the client.
        aud: [grant.clientId, apiAudience],
        azp: grant.clientId,
        auth_time: grant.authTime,
        at_hash: leftHalfHash(accessToken),
        ...(nonce === undefined ? {} : { nonce }),
      },
      privateKey,
      3600,
    );
    return { accessToken, idToken, scope };
  };

  const redirectBack = (res: Response, target: string, params: Record<string, string | undefined>) => {
    const url = new URL(target);
    for (const [name, value] of Object.entries(params))
      if (value !== undefined) url.searchParams.set(name, value);
    if (tampering.authorizationResponseIss !== undefined)
      url.searchParams.set('iss', tampering.authorizationResponseIss);
    res.redirect(303, url.href);
  };

  const issueCode = (res: Response, interaction: Interaction, session: BrowserSession) => {
    const code = random();
    codes.set(code, {
      ...interaction,
      sub: session.sub,
      authTime: session.authTime,
      expiresAt: Date.now() + 60_000,
    });
    // No `iss` (RFC 9207 not supported), unless a test tampers.
    redirectBack(res, interaction.redirectUri, { code, state: interaction.state });
  };

  const sessionOf = (req: Request): BrowserSession | undefined => {
    const id = cookieOf(req, SESSION_COOKIE);
    return id === undefined ? undefined : sessions.get(id);
  };

  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1);
    next();
  });
  app.use(express.urlencoded({ extended: false }));
  app.use(avatarRoutes());

  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      userinfo_endpoint: `${origin}/userinfo`,
      jwks_uri: `${origin}/.well-known/jwks.json`,
      end_session_endpoint: `${origin}/session/end`,
      scopes_supported: [...OIDC_SCOPES, API_SCOPE],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
      claims_supported: ['sub', 'iss', 'aud', 'azp', 'name', 'email', 'email_verified', 'picture'],
      // Deliberately absent: revocation_endpoint, authorization_response_iss_parameter_supported.
    });
  });

  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(jwks);
  });

  app.get('/authorize', (req, res) => {
    const q = req.query;
    const requestedClient = stringParam(q.client_id);
    const requestedRedirect = stringParam(q.redirect_uri);
    // RFC 6749 §4.1.2.1: with an unknown client or an unregistered redirect URI the user
    // is told, and never sent anywhere. Exact string match, port included (RFC 9700 §2.1).
    if (requestedClient !== clientId) {
      sendPage(
        res,
        400,
        errorPage('Unknown application', 'invalid_client: this application is not registered.'),
      );
      return;
    }
    if (requestedRedirect !== redirectUri) {
      sendPage(
        res,
        400,
        errorPage(
          'Redirect not allowed',
          'invalid_redirect_uri: the redirect URI is not registered for this application.',
          [['redirect_uri', requestedRedirect ?? '(none)']],
        ),
      );
      return;
    }
    const state = stringParam(q.state);
    const fail = (error: string, description: string) =>
      redirectBack(res, redirectUri, { error, error_description: description, state });
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'only response_type=code');
    const codeChallenge = stringParam(q.code_challenge);
    if (codeChallenge === undefined || q.code_challenge_method !== 'S256') {
      return fail('invalid_request', 'PKCE with S256 is required');
    }
    const scopes = (stringParam(q.scope) ?? '').split(' ').filter((s) => s !== '');
    if (!scopes.includes('openid')) return fail('invalid_scope', 'openid is required');
    const unknown = scopes.find((s) => !OIDC_SCOPES.includes(s) && s !== API_SCOPE);
    if (unknown !== undefined) return fail('invalid_scope', `unknown scope ${unknown}`);
    if (q.resource !== undefined)
      return fail('invalid_request', 'resource indicators are not supported; use audience');
    const audience = stringParam(q.audience);
    if (audience !== undefined && audience !== apiAudience)
      return fail('invalid_request', 'unknown audience');

    const interaction: Interaction = {
      clientId,
      redirectUri,
      state,
      nonce: stringParam(q.nonce),
      scopes,
      codeChallenge,
    };
    const session = sessionOf(req);
    if (session !== undefined) {
      issueCode(res, interaction, session);
      return;
    }
    const uid = random();
    interactions.set(uid, interaction);
    res.redirect(303, `/interaction/${uid}`);
  });

  app.get('/interaction/:uid', (req, res) => {
    if (!interactions.has(req.params.uid)) {
      sendPage(res, 400, errorPage('Sign-in expired', 'Start the sign-in again from the app.'));
      return;
    }
    sendPage(res, 200, loginPage({ uid: req.params.uid, clientName: 'Desktop app (second profile)' }));
  });

  app.post('/interaction/:uid/login', async (req, res) => {
    const uid = req.params.uid;
    const interaction = interactions.get(uid);
    if (interaction === undefined) {
      sendPage(res, 400, errorPage('Sign-in expired', 'Start the sign-in again from the app.'));
      return;
    }
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const account = await verifyPassword(username, password);
    if (account === undefined) {
      sendPage(
        res,
        401,
        loginPage({ uid, clientName: 'Desktop app (second profile)', username, error: WRONG_CREDENTIALS }),
      );
      return;
    }
    interactions.delete(uid);
    const sessionId = random();
    const session: BrowserSession = { sub: account.id, authTime: nowSeconds(), logoutToken: random() };
    sessions.set(sessionId, session);
    res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'lax', path: '/' });
    issueCode(res, interaction, session);
  });

  app.post('/interaction/:uid/abort', (req, res) => {
    const interaction = interactions.get(req.params.uid);
    interactions.delete(req.params.uid);
    if (interaction === undefined) {
      sendPage(res, 400, errorPage('Sign-in expired', 'Start the sign-in again from the app.'));
      return;
    }
    redirectBack(res, interaction.redirectUri, { error: 'access_denied', state: interaction.state });
  });

  app.post('/oauth/token', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    if (body.client_id !== clientId) return oauthError(res, 401, 'invalid_client', 'unknown client');
    if (body.grant_type === 'authorization_code') {
      const code = stringParam(body.code);
      const issued = code === undefined ? undefined : codes.get(code);
      if (code !== undefined) codes.delete(code);
      if (issued === undefined || issued.expiresAt < Date.now()) {
        return oauthError(res, 400, 'invalid_grant', 'the code is invalid, expired or used');
      }
      if (body.redirect_uri !== issued.redirectUri) {
        return oauthError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      }
      const verifier = stringParam(body.code_verifier);
      const challenge =
        verifier === undefined ? '' : createHash('sha256').update(verifier).digest('base64url');
      if (!same(challenge, issued.codeChallenge)) {
        return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
      }
      const grant: Grant = { sub: issued.sub, clientId, scopes: issued.scopes, authTime: issued.authTime };
      const tokens = await issueTokens(grant, issued.nonce);
      let refreshToken: string | undefined;
      if (grant.scopes.includes('offline_access')) {
        refreshToken = random();
        refreshTokens.set(refreshToken, grant);
      }
      res.set('Cache-Control', 'no-store').json({
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: accessTokenTtl,
        id_token: tokens.idToken,
        scope: tokens.scope,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      });
      return;
    }
    if (body.grant_type === 'refresh_token') {
      const refreshToken = stringParam(body.refresh_token);
      const grant = refreshToken === undefined ? undefined : refreshTokens.get(refreshToken);
      if (refreshToken === undefined || grant === undefined || grant.clientId !== clientId) {
        return oauthError(res, 400, 'invalid_grant', 'the refresh token is invalid');
      }
      const tokens = await issueTokens(grant, undefined);
      // No rotation: the refresh token stays valid; it is either repeated or left out (RFC 6749 §6).
      res.set('Cache-Control', 'no-store').json({
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: accessTokenTtl,
        id_token: tokens.idToken,
        scope: tokens.scope,
        ...(refreshTokenAnswer === 'same' ? { refresh_token: refreshToken } : {}),
      });
      return;
    }
    oauthError(res, 400, 'unsupported_grant_type', 'authorization_code and refresh_token only');
  });

  const userinfo = async (req: Request, res: Response) => {
    if (tampering.userinfoFailures > 0) {
      tampering.userinfoFailures--;
      res.status(503).json({ error: 'temporarily_unavailable' });
      return;
    }
    const match = /^Bearer ([\w.~+/-]+=*)$/.exec(req.headers.authorization ?? '');
    const challenge = (error: string) =>
      res.status(401).set('WWW-Authenticate', `Bearer error="${error}"`).json({ error });
    if (match?.[1] === undefined) return challenge('invalid_request');
    try {
      // The access token's aud holds the client id: that is what admits it here.
      const { payload } = await jwtVerify(match[1], publicKey, {
        issuer,
        audience: clientId,
        algorithms: ['RS256'],
        typ: 'JWT',
      });
      if (typeof payload.scope !== 'string' || payload.nonce !== undefined) return challenge('invalid_token');
      const account = typeof payload.sub === 'string' ? findAccountById(payload.sub) : undefined;
      if (account === undefined) return challenge('invalid_token');
      res.set('Cache-Control', 'no-store').json(userinfoClaims(account, payload.scope.split(' '), issuer));
    } catch {
      challenge('invalid_token');
    }
  };
  app.get('/userinfo', userinfo);
  app.post('/userinfo', userinfo);

  // RP-Initiated Logout 1.0 §2: only a registered post_logout_redirect_uri is followed.
  app.get('/session/end', async (req, res) => {
    const q = req.query;
    const target = stringParam(q.post_logout_redirect_uri);
    if (target !== undefined && target !== postLogoutRedirectUri) {
      sendPage(
        res,
        400,
        errorPage('Sign-out redirect not allowed', 'post_logout_redirect_uri is not registered.'),
      );
      return;
    }
    const hint = stringParam(q.id_token_hint);
    if (hint !== undefined) {
      try {
        // An expired hint is still a hint (RP-Initiated Logout §2): signature, issuer and audience only.
        await compactVerify(hint, publicKey);
        const claims = decodeJwt(hint);
        const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        if (claims.iss !== issuer || !audiences.includes(clientId)) throw new Error('not ours');
      } catch {
        sendPage(
          res,
          400,
          errorPage('Sign-out refused', 'id_token_hint is not a valid ID token of this provider.'),
        );
        return;
      }
    }
    const session = sessionOf(req);
    if (session === undefined) {
      finishLogout(res, target, stringParam(q.state));
      return;
    }
    sendPage(
      res,
      200,
      renderDocument(
        'Sign out',
        html`<p>Do you want to sign out of the second provider?</p>
          <form method="post" action="/session/end/confirm">
            <input type="hidden" name="xsrf" value="${session.logoutToken}" />
            <input type="hidden" name="post_logout_redirect_uri" value="${target ?? ''}" />
            <input type="hidden" name="state" value="${stringParam(q.state) ?? ''}" />
            <button type="submit" class="primary" autofocus>Sign out</button>
          </form>`,
      ),
    );
  });

  app.post('/session/end/confirm', (req, res) => {
    const body = req.body as Record<string, unknown>;
    const id = cookieOf(req, SESSION_COOKIE);
    const session = id === undefined ? undefined : sessions.get(id);
    const target = stringParam(body.post_logout_redirect_uri);
    if (session === undefined || typeof body.xsrf !== 'string' || !same(body.xsrf, session.logoutToken)) {
      sendPage(res, 400, errorPage('Sign-out refused', 'The sign-out form is stale; start again.'));
      return;
    }
    if (target !== undefined && target !== postLogoutRedirectUri) {
      sendPage(
        res,
        400,
        errorPage('Sign-out redirect not allowed', 'post_logout_redirect_uri is not registered.'),
      );
      return;
    }
    sessions.delete(id!);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    finishLogout(res, target, stringParam(body.state));
  });

  app.get('/session/end/success', (_req, res) => {
    sendPage(
      res,
      200,
      renderDocument('Signed out', html`<p>You have been signed out. You can close this tab.</p>`),
    );
  });

  function finishLogout(res: Response, target: string | undefined, state: string | undefined): void {
    if (target === undefined) {
      res.redirect(303, '/session/end/success');
      return;
    }
    const url = new URL(target);
    if (state !== undefined) url.searchParams.set('state', state);
    res.redirect(303, url.href);
  }

  server.on('request', app);

  let closing: Promise<void> | undefined;
  return {
    issuer,
    port,
    clientId,
    apiAudience,
    redirectPort: options.redirectPort,
    redirectUri,
    postLogoutRedirectUri,
    apiScope: API_SCOPE,
    tampering,
    hits,
    close() {
      closing ??= closeServer(server);
      return closing;
    },
  };
}

function userinfoClaims(
  account: Account,
  scopes: readonly string[],
  issuer: string,
): Record<string, unknown> {
  return {
    sub: account.id,
    ...(scopes.includes('profile')
      ? {
          name: account.name,
          given_name: account.givenName,
          family_name: account.familyName,
          preferred_username: account.username,
          picture: avatarUrl(issuer, account),
        }
      : {}),
    ...(scopes.includes('email') ? { email: account.email, email_verified: account.emailVerified } : {}),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Browsers keep idle connections open; without this close() would wait for them.
    server.closeAllConnections();
  });
}

/** A loopback port that is free now: the fixed port to register the redirect URI with. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}
