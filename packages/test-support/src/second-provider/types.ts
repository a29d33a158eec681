/** The second provider's options, handle and records (see ./index.ts for what it is). */
import type { CryptoKey, JSONWebKeySet } from 'jose';

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

export const SECOND_CLIENT_ID = 'second-desktop-app';
export const SECOND_API_AUDIENCE = 'https://messages.second-profile.test/';
export const API_SCOPE = 'read:messages';
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const CLIENT_NAME = 'Desktop app (second profile)';

/** An authorization request waiting for the user to sign in. */
export interface Interaction {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  codeChallenge: string;
}

export interface IssuedCode extends Interaction {
  sub: string;
  authTime: number;
  expiresAt: number;
}

/** What a refresh token stands for. */
export interface Grant {
  sub: string;
  clientId: string;
  scopes: string[];
  authTime: number;
}

export interface BrowserSession {
  sub: string;
  authTime: number;
  /** Binds the sign-out form to this session (a CSRF token). */
  logoutToken: string;
}

/** The signing key: RS256, published in the JWKS under its thumbprint. */
export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  kid: string;
  jwks: JSONWebKeySet;
}

/** Everything the endpoints share: the configuration, the key and the in-memory stores. */
export interface ProviderContext {
  issuer: string;
  origin: string;
  clientId: string;
  apiAudience: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  refreshTokenAnswer: RefreshTokenAnswer;
  /** Seconds. */
  accessTokenTtl: number;
  key: SigningKey;
  interactions: Map<string, Interaction>;
  codes: Map<string, IssuedCode>;
  refreshTokens: Map<string, Grant>;
  sessions: Map<string, BrowserSession>;
  tampering: SecondProviderTampering;
  hits: Map<string, number>;
}
