import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AuthConfig } from '../config.ts';
import type { FetchLike } from '../fetch-like.ts';
import { checkAuthorizationRequest } from './authorization-request.ts';
import { checkClientAuthentication } from './client-authentication.ts';
import { fetchJsonObject } from './http.ts';
import type { ProbeHttp } from './http.ts';
import { checkCodeFlow, checkRefreshTokens } from './grants.ts';
import { checkSigningKeys } from './jwks.ts';
import {
  checkDiscoveryDocument,
  checkEndSession,
  checkEndpoints,
  checkIssParameter,
  checkIssuer,
  checkOfflineAccess,
  checkPkce,
  checkRevocation,
  checkSigningAlgorithms,
  idTokenAlgorithms,
  isSecureUrl,
  stringMember,
} from './metadata.ts';
import type { ProviderMetadata } from './metadata.ts';
import { check } from './report.ts';
import type { DoctorCheck, DoctorReport } from './report.ts';
import { probeCodeExchange, probeRefresh } from './token-endpoint.ts';
import type { TokenAnswer } from './token-endpoint.ts';

/** Options of {@link diagnoseProvider}. */
export interface DiagnoseOptions {
  /** The fetch used for every request (default: the global `fetch`). */
  fetch?: FetchLike;
  /** Time limit per request, in milliseconds (default 10 000). */
  timeoutMs?: number;
}

/** The default time limit per request. */
export const DOCTOR_TIMEOUT_MS = 10_000;

/** The discovery URL of an issuer (OIDC Discovery 1.0 §4.1: the issuer, trailing "/" dropped, plus the well-known path). */
export function discoveryUrl(issuer: URL): string {
  const url = new URL(issuer.href);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
  return url.href;
}

/** A free loopback port, as a sign-in would bind (RFC 8252 §7.3); released before use. */
async function ephemeralPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The token endpoint's answers to a made-up code and a made-up refresh token,
 * sent as the app sends real ones; undefined without a usable token endpoint
 * (the discovery or endpoints line says so).
 */
async function probeTokenEndpoint(
  http: ProbeHttp,
  config: AuthConfig,
  meta: ProviderMetadata,
  redirectUri: string,
): Promise<{ exchange: TokenAnswer; refresh: TokenAnswer } | undefined> {
  const endpoint = stringMember(meta, 'token_endpoint');
  // Never over plain http off loopback: the app refuses such an endpoint, and a secret would travel in clear.
  if (endpoint === undefined || !isSecureUrl(endpoint)) return undefined;
  const [exchange, refresh] = await Promise.all([
    probeCodeExchange(http, config, endpoint, redirectUri),
    probeRefresh(http, config, endpoint),
  ]);
  return { exchange, refresh };
}

/**
 * Checks, without a user, whether a desktop app configured with `config` can
 * sign in with its provider: the discovery document, the JWKS, the token
 * endpoint (a made-up code and refresh token) and the authorization request
 * itself. A check fails only where the provider's own answer proves the app
 * cannot work; advertised lists are hints, and what cannot be decided is a
 * warning. Never throws for what the provider does; every finding is a
 * {@link DoctorCheck}.
 *
 * @example
 * ```ts
 * const report = await diagnoseProvider(defineConfig({ issuer: 'https://login.example.com', clientId: 'my-app' }));
 * for (const c of report.checks) console.log(c.verdict, c.id, c.message);
 * if (!report.passed) process.exitCode = 1;
 * ```
 */
export async function diagnoseProvider(
  config: AuthConfig,
  options: DiagnoseOptions = {},
): Promise<DoctorReport> {
  const http: ProbeHttp = {
    fetch: options.fetch ?? ((url, init) => fetch(url, init)),
    timeoutMs: options.timeoutMs ?? DOCTOR_TIMEOUT_MS,
  };
  const checks: DoctorCheck[] = [];
  const report = (): DoctorReport =>
    Object.freeze({
      issuer: config.issuer.href,
      clientId: config.clientId,
      checks: Object.freeze([...checks]),
      passed: checks.every((c) => c.verdict !== 'fail'),
    });

  const url = discoveryUrl(config.issuer);
  const discovery = await fetchJsonObject(http, url);
  if (!discovery.ok) {
    checks.push(
      check(
        'discovery',
        'fail',
        `${discovery.problem}. Without the provider's configuration the app cannot sign in: check OIDC_ISSUER and that the provider is up.`,
      ),
    );
    return report();
  }
  const meta = discovery.value;
  checks.push(checkDiscoveryDocument(url, meta));
  const issuerCheck = checkIssuer(meta, config);
  if (issuerCheck !== undefined) checks.push(issuerCheck);
  const redirectUri = `http://127.0.0.1:${config.redirectPort ?? (await ephemeralPort())}${config.callbackPath}`;
  const tokens = await probeTokenEndpoint(http, config, meta, redirectUri);
  checks.push(checkEndpoints(meta), checkCodeFlow(meta, tokens?.exchange), checkPkce(meta));
  if (tokens !== undefined) checks.push(checkClientAuthentication(config, meta, tokens.exchange));
  checks.push(
    checkRefreshTokens(meta, tokens?.refresh),
    checkOfflineAccess(meta, config),
    checkIssParameter(meta),
    checkEndSession(meta),
    checkRevocation(meta),
    checkSigningAlgorithms(meta),
  );

  const jwksUri = stringMember(meta, 'jwks_uri');
  if (jwksUri !== undefined && URL.canParse(jwksUri)) {
    const jwks = await fetchJsonObject(http, jwksUri);
    checks.push(
      jwks.ok
        ? checkSigningKeys(jwksUri, jwks.value, idTokenAlgorithms(meta))
        : check('signing-keys', 'fail', `${jwks.problem}: the app could not verify any ID token.`),
    );
  }

  const authorizationEndpoint = stringMember(meta, 'authorization_endpoint');
  const issuer = stringMember(meta, 'issuer');
  if (authorizationEndpoint !== undefined && URL.canParse(authorizationEndpoint) && issuer !== undefined) {
    checks.push(await checkAuthorizationRequest(http, config, authorizationEndpoint, issuer, redirectUri));
  }
  return report();
}
