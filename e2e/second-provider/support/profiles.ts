/**
 * The two provider profiles the whole flow runs against, each with its API: the local
 * provider (apps/dev-idp, the reference) and the second provider
 * (`@electron-oidc/test-support/second-provider`), which differs on purpose. Tests take a {@link ProfileStack} and never branch on the
 * profile's name, only on what the profile says about itself.
 */
import { startApi } from '@electron-oidc/api';
import type { ApiConfig, RunningApi } from '@electron-oidc/api';
import type { AuthConfigInput } from 'electron-oidc';
import { freeLoopbackPort } from '@electron-oidc/test-support';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import { startSecondProvider } from '@electron-oidc/test-support/second-provider';
import type { RefreshTokenAnswer, RunningSecondProvider } from '@electron-oidc/test-support/second-provider';

export type ProfileName = 'local' | 'second';

/** What a profile's provider does, as the tests expect to observe it. */
export interface ProfileTraits {
  /** Whether a refresh answers with a new refresh token. */
  rotatesRefreshTokens: boolean;
  /** Whether the provider has a revocation endpoint (RFC 7009). */
  revokes: boolean;
  /** Whether the ID token itself carries name, email and picture. */
  profileInIdToken: boolean;
}

export interface ProfileStack {
  name: ProfileName;
  traits: ProfileTraits;
  /** The issuer exactly as discovery names it. */
  issuer: string;
  clientId: string;
  /** The library's configuration for this provider and its API (what a user would write). */
  config: AuthConfigInput;
  /** The same configuration as the CLI's environment variables. */
  cliEnv: Record<string, string>;
  /** The API's settings for this provider. */
  apiConfig: Partial<ApiConfig>;
  api: RunningApi;
  /** The second provider's handle (undefined for the local profile). */
  second: RunningSecondProvider | undefined;
  close(): Promise<void>;
}

export interface ProfileOptions {
  /** Second profile only: how a refresh answers (default: the same refresh token again). */
  refreshTokenAnswer?: RefreshTokenAnswer;
}

export const PROFILES: readonly ProfileName[] = ['local', 'second'];

/** Starts a profile's provider and its API on ephemeral loopback ports. */
export async function startProfile(name: ProfileName, options: ProfileOptions = {}): Promise<ProfileStack> {
  return name === 'local' ? startLocalProfile() : startSecondProfile(options);
}

async function startLocalProfile(): Promise<ProfileStack> {
  const stack = await startLocalStack();
  const { issuer, clientId, apiResource } = stack.idp;
  return {
    name: 'local',
    traits: { rotatesRefreshTokens: true, revokes: true, profileInIdToken: true },
    issuer,
    clientId,
    config: stack.config,
    cliEnv: {
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: clientId,
      OIDC_API_AUDIENCE: apiResource,
      OIDC_API_BASE_URL: stack.api.url,
    },
    apiConfig: { issuer, audience: apiResource, port: 0 },
    api: stack.api,
    second: undefined,
    close: () => stack.close(),
  };
}

async function startSecondProfile(options: ProfileOptions): Promise<ProfileStack> {
  const redirectPort = await freeLoopbackPort();
  const provider = await startSecondProvider({
    redirectPort,
    ...(options.refreshTokenAnswer === undefined ? {} : { refreshTokenAnswer: options.refreshTokenAnswer }),
  });
  // As for Auth0 or Keycloak: typ JWT access tokens, so the RFC 9068 typ check is opted out of.
  const apiConfig: Partial<ApiConfig> = {
    issuer: provider.issuer,
    audience: provider.apiAudience,
    accessTokenType: 'any',
    port: 0,
  };
  const api = await startApi(apiConfig, { log: () => {} });
  return {
    name: 'second',
    traits: { rotatesRefreshTokens: false, revokes: false, profileInIdToken: false },
    issuer: provider.issuer,
    clientId: provider.clientId,
    config: {
      issuer: provider.issuer,
      clientId: provider.clientId,
      apiAudience: provider.apiAudience,
      apiBaseUrl: api.url,
      sendResourceIndicator: false,
      authorizationParams: { audience: provider.apiAudience },
      redirectPort,
    },
    cliEnv: {
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_API_AUDIENCE: provider.apiAudience,
      OIDC_API_BASE_URL: api.url,
      OIDC_SEND_RESOURCE: 'false',
      OIDC_AUDIENCE_PARAM: provider.apiAudience,
      OIDC_REDIRECT_PORT: String(redirectPort),
    },
    apiConfig,
    api,
    second: provider,
    async close() {
      await api.close();
      await provider.close();
    },
  };
}
