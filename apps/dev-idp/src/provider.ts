import Provider, { errors, interactionPolicy } from 'oidc-provider';
import type { Account, ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { ACR_OTP, ACR_VALUES } from './acr.ts';
import type { FileStore } from './adapter/file-adapter.ts';
import { avatarUrl } from './avatars.ts';
import type { IdpConfig } from './config.ts';
import { CONTENT_SECURITY_POLICY, Html } from './interactions/html.ts';
import { errorPage, loggedOutPage, logoutPage } from './interactions/views.ts';
import { dpopNonceSecretOf } from './keys.ts';
import type { ProviderKeys } from './keys.ts';
import { asksForOneTimeCode } from './step-up.ts';
import { findAccountById } from './users.ts';

/** The scope the API's access tokens carry. */
export const API_SCOPE = 'read:messages';

export interface ProviderParts {
  issuer: string;
  config: IdpConfig;
  keys: ProviderKeys;
  store: FileStore;
}

/** oidc-provider configured for one public native client and one API. */
export function createProvider({ issuer, config, keys, store }: ProviderParts): Provider {
  const configuration: Configuration = {
    adapter: store.adapterFor,
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys },
    clients: [nativeClient(config)],
    // RFC 9700 §2.1.2: the authorization code flow only, no implicit or hybrid responses.
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    // Its acr_values_supported; see acr.ts and the interaction pages.
    acrValues: [...ACR_VALUES],
    claims: {
      // acr and amr (RFC 8176) tell the app how the user signed in (a password, a
      // one-time code too), auth_time when: what step-up decisions need (RFC 9470).
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'picture'],
      email: ['email', 'email_verified'],
    },
    // The access token is for the API (below), so the app cannot call the
    // userinfo endpoint with it; the profile must travel in the ID token.
    conformIdTokenClaims: false,
    findAccount: (_ctx, sub) => accountOf(issuer, sub),
    // RFC 7636 / RFC 9700 §2.1.1: PKCE for every authorization request; oidc-provider 9
    // only accepts the S256 method.
    pkce: { required: () => true },
    interactions: {
      policy: stepUpPolicy(),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: features(config, keys),
    extraTokenClaims: authenticationClaims,
    // oidc-provider only keeps `offline_access` when the request also has
    // prompt=consent (OIDC Core §11), and by default issues refresh tokens only
    // with that scope. A native app should not have to make its user confirm
    // consent on every sign-in just to stay signed in, so this first-party
    // native client always gets a refresh token for the grant it was given.
    issueRefreshToken: (_ctx, client) =>
      client.grantTypeAllowed('refresh_token') && client.applicationType === 'native',
    // oidc-provider ties a grant without `offline_access` to the browser session by default,
    // so a second account signed in in the same browser (prompt=login) would end the first
    // one's refresh token. The native client's grants outlive the browser session: its
    // sign-out revokes its refresh token (RFC 7009) instead.
    expiresWithSession: (ctx, code) =>
      !code.scopes.has('offline_access') && ctx.oidc.client?.applicationType !== 'native',
    // RFC 9700 §4.14.2: a public client's refresh tokens are sender-constrained or
    // rotated; with rotation each refresh retires the token used (and reusing a
    // retired one revokes the whole grant).
    rotateRefreshToken: () => config.refreshTokenRotation,
    ttl: {
      AccessToken: config.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Grant: config.refreshTokenTtl,
      Session: config.refreshTokenTtl,
      RefreshToken: config.refreshTokenTtl,
    },
    // The only client is a native app whose requests come from its main process,
    // not from a web page, so no origin is allowed to call the endpoints cross-origin.
    clientBasedCORS: () => false,
    renderError: (ctx, out) => {
      const details = Object.entries(out).map(([name, value]): [string, string] => [name, String(value)]);
      sendPage(
        ctx,
        ctx.status >= 400 ? ctx.status : 400,
        errorPage('Something went wrong', describe(out), details),
      );
    },
  };
  return new Provider(issuer, configuration);
}

function nativeClient(config: IdpConfig): ClientMetadata {
  return {
    client_id: config.clientId,
    client_name: 'Desktop app',
    // RFC 8252 §8.4: a native app cannot keep a secret, so it is a public client;
    // "native" is also what lets loopback redirect URIs match any port (§7.3).
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: config.redirectUris,
    post_logout_redirect_uris: config.postLogoutRedirectUris,
    id_token_signed_response_alg: 'RS256',
  };
}

async function accountOf(issuer: string, sub: string): Promise<Account | undefined> {
  const account = findAccountById(sub);
  if (!account) return undefined;
  return {
    accountId: account.id,
    async claims() {
      return {
        sub: account.id,
        name: account.name,
        given_name: account.givenName,
        family_name: account.familyName,
        preferred_username: account.username,
        picture: avatarUrl(issuer, account),
        email: account.email,
        email_verified: account.emailVerified,
      };
    },
  };
}

function features(config: IdpConfig, keys: ProviderKeys): NonNullable<Configuration['features']> {
  return {
    // Its pages sign anyone in with any password; ours check it (see interactions/).
    devInteractions: { enabled: false },
    dPoP: dPoP(config, keys),
    // RFC 9126: on (oidc-provider's default too, said here so nobody turns it off by
    // accident), not required, so clients without PAR sign in as before.
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    // OIDC Core §5.5: lets a request ask for an essential `acr` (step-up) besides acr_values.
    claimsParameter: { enabled: true },
    revocation: {
      enabled: true,
      // RFC 7009 §2.1: a client may revoke only its own tokens. Another's token is
      // left alone and, per §2.2, still answered with 200.
      allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
    },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => {
        sendPage(ctx, 200, logoutPage(ctx.host, new Html(form)));
      },
      postLogoutSuccessSource: (ctx) => {
        const client = ctx.oidc.client;
        sendPage(ctx, 200, loggedOutPage(client?.clientName ?? client?.clientId));
      },
    },
    resourceIndicators: apiResource(config),
  };
}

/**
 * RFC 9449 DPoP: on (oidc-provider's default too, said here so nobody turns it off
 * by accident). A public client that sends proofs gets DPoP-bound access tokens, and
 * its refresh tokens are bound to the same key (RFC 9449 §5).
 *
 * Nonces (§8) are always available, and demanded of every proof only with the nonce
 * setting on. Without a nonce secret, oidc-provider refuses a proof whose `iat` is more
 * than 5 minutes off its clock with `invalid_dpop_proof`, so a desktop whose clock is
 * off cannot sign in at all; with one, it answers `use_dpop_nonce` and a `DPoP-Nonce`
 * instead, and the client's retry with the nonce is taken whatever its clock says: a
 * nonce made from the server's time proves the proof is recent (§11.1).
 */
function dPoP(config: IdpConfig, keys: ProviderKeys): NonNullable<Configuration['features']>['dPoP'] {
  return { enabled: true, nonceSecret: dpopNonceSecretOf(keys), requireNonce: () => config.dpopNonce };
}

/**
 * The login prompt's checks, plus one: oidc-provider treats `acr_values` as voluntary
 * (OIDC Core §3.1.2.1) and would reuse a password-only session for a request that
 * asks for ACR_OTP. Step-up (RFC 9470) needs the second factor then, so such a
 * request goes to the login pages, and with prompt=none fails with login_required.
 */
function stepUpPolicy(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  const requireOneTimeCode = new interactionPolicy.Check(
    'acr_values_otp',
    'the requested one-time code step is missing',
    // A check added to a built prompt does not take the prompt's error on its own.
    'login_required',
    (ctx) =>
      asksForOneTimeCode(ctx.oidc.params ?? {}) && ctx.oidc.acr !== ACR_OTP
        ? interactionPolicy.Check.REQUEST_PROMPT
        : interactionPolicy.Check.NO_NEED_TO_PROMPT,
  );
  policy.get('login')?.checks.add(requireOneTimeCode);
  return policy;
}

/**
 * RFC 9068 §2.2.1 and RFC 9470 §3: the access token says how and when the user
 * signed in, so the API can ask for a stronger or fresher sign-in. Taken from the
 * authorization code or refresh token being redeemed, which keep the login's values.
 */
async function authenticationClaims(
  ctx: KoaContextWithOIDC | undefined,
): Promise<Record<string, unknown> | undefined> {
  const source = ctx?.oidc.entities.AuthorizationCode ?? ctx?.oidc.entities.RefreshToken;
  if (!source) return undefined;
  return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
}

/** RFC 8707 resource indicators: the API is the one resource, with RFC 9068 JWT access tokens. */
function apiResource(
  config: IdpConfig,
): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  return {
    enabled: true,
    // With no `resource` parameter the request is for the API (RFC 8707 §2), so
    // the app gets a JWT access token for it without naming it.
    defaultResource: (_ctx, _client, oneOf) => {
      if (!oneOf) return config.apiResource;
      return oneOf.includes(config.apiResource) ? config.apiResource : oneOf;
    },
    // Without this, a token request with `openid` in scope and no `resource`
    // yields an opaque access token for the userinfo endpoint instead.
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resourceIndicator) => {
      if (resourceIndicator !== config.apiResource) {
        // RFC 8707 §2: invalid_target; a plain Error here would be a 500.
        throw new errors.InvalidTarget(
          `unknown resource indicator; this provider knows only ${config.apiResource}`,
        );
      }
      return {
        scope: API_SCOPE,
        audience: config.apiResource,
        accessTokenTTL: config.accessTokenTtl,
        // RFC 9068: a JWT access token with `typ: at+jwt`, which the API can verify on its own.
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      };
    },
  };
}

function describe(out: { error?: string; error_description?: string }): string {
  return out.error_description ?? out.error ?? 'The request could not be completed.';
}

function sendPage(ctx: KoaContextWithOIDC, status: number, page: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.body = page;
}
