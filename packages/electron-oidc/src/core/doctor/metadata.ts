import type { AuthConfig } from '../config.ts';
import { isLoopbackHost } from '../config.ts';
import { check } from './report.ts';
import type { DoctorCheck } from './report.ts';

/** A discovery document as parsed JSON (OIDC Discovery 1.0 §3, RFC 8414 §2). */
export type ProviderMetadata = Readonly<Record<string, unknown>>;

/** A string member, or undefined when absent or not a non-empty string. */
export function stringMember(meta: ProviderMetadata, name: string): string | undefined {
  const value = meta[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A string-array member: undefined when absent, 'invalid' when present but not an array of strings. */
export function listMember(meta: ProviderMetadata, name: string): readonly string[] | undefined | 'invalid' {
  const value = meta[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return 'invalid';
  return value as string[];
}

/**
 * Says where an advertised list (RFC 8414 §2, OIDC Discovery §3) misses `entry`; undefined when it lists it.
 * `fallback` is the list's default when it is absent. The lists are hints: several providers accept more
 * than they advertise, so a miss is a warning to be settled by a probe where one is harmless.
 */
export function notAdvertised(
  meta: ProviderMetadata,
  name: string,
  entry: string,
  fallback: readonly string[] = [],
): string | undefined {
  const list = listMember(meta, name);
  if (list === 'invalid') return `"${entry}" is not advertised (${name} is malformed: not a list of strings)`;
  if (list === undefined) {
    if (fallback.includes(entry)) return undefined;
    return `"${entry}" is not advertised (no ${name}${fallback.length > 0 ? `, whose default is [${fallback.join(', ')}]` : ''})`;
  }
  return list.includes(entry) ? undefined : `"${entry}" is not advertised in ${name} [${list.join(', ')}]`;
}

/** Whether a URL is https, or http on a loopback host (the only plain http the library accepts). */
export function isSecureUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** What the app cannot sign in without (openid-client needs them; OIDC Discovery §3 requires them). */
const ESSENTIAL = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
/** Required by OIDC Discovery §3 as well, but the app does not depend on them. */
const ALSO_REQUIRED = [
  'response_types_supported',
  'subject_types_supported',
  'id_token_signing_alg_values_supported',
] as const;

/** The discovery line for a document that was read as a JSON object. */
export function checkDiscoveryDocument(url: string, meta: ProviderMetadata): DoctorCheck {
  const missing = ESSENTIAL.filter((name) => stringMember(meta, name) === undefined);
  if (missing.length > 0) {
    return check(
      'discovery',
      'fail',
      `${url} lacks required metadata (${missing.join(', ')}); the app cannot sign in without ${missing.length === 1 ? 'it' : 'them'}. This is not a complete OpenID Provider configuration: check OIDC_ISSUER.`,
    );
  }
  const alsoMissing = ALSO_REQUIRED.filter((name) => meta[name] === undefined);
  if (alsoMissing.length > 0) {
    return check(
      'discovery',
      'warn',
      `${url} was read, but lacks ${alsoMissing.join(', ')} (required by OpenID Connect Discovery §3); the app does not depend on ${alsoMissing.length === 1 ? 'it' : 'them'}, but the provider is not fully conformant.`,
    );
  }
  return check('discovery', 'ok', `${url} was read: an OpenID Provider configuration.`);
}

export function checkIssuer(meta: ProviderMetadata, config: AuthConfig): DoctorCheck | undefined {
  const issuer = stringMember(meta, 'issuer');
  if (issuer === undefined) return undefined;
  if (!URL.canParse(issuer)) {
    return check('issuer', 'fail', `The provider names its issuer "${issuer}", which is not a URL.`);
  }
  if (!isSecureUrl(issuer)) {
    return check(
      'issuer',
      'fail',
      `The provider's issuer "${issuer}" is not https (plain http is acceptable on loopback only): tokens and codes would cross the network in clear.`,
    );
  }
  // openid-client compares the normalized URLs (oauth4webapi processDiscoveryResponse); OIDC Core §3.1.3.7 asks
  // the ID token's iss to equal the issuer, and the API compares ISSUER_URL as a string.
  if (new URL(issuer).href !== config.issuer.href) {
    return check(
      'issuer',
      'fail',
      `The provider calls itself "${issuer}" but the configured issuer is "${config.issuer.href}": the app would reject its configuration and ID tokens. Set OIDC_ISSUER to exactly "${issuer}".`,
    );
  }
  return check(
    'issuer',
    'ok',
    `"${issuer}" matches the configured issuer; the API's ISSUER_URL must be exactly "${issuer}" (the API compares it as a string).`,
  );
}

/** Endpoints a sign-in goes through: openid-client cannot use one that is not an https URL. */
const SIGN_IN_ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
/** Endpoints of the profile and of sign-out: the app signs in without them. */
const OTHER_ENDPOINTS = ['userinfo_endpoint', 'end_session_endpoint', 'revocation_endpoint'] as const;

/** Each endpoint among `names` that is not a URL, or plain http off loopback, with what is wrong. */
function unusableEndpoints(meta: ProviderMetadata, names: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const value = meta[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !URL.canParse(value)) problems.push(`${name} is not a URL`);
    else if (!isSecureUrl(value)) problems.push(`${name} is plain http off loopback (${value})`);
  }
  return problems;
}

export function checkEndpoints(meta: ProviderMetadata): DoctorCheck {
  const signIn = unusableEndpoints(meta, SIGN_IN_ENDPOINTS);
  const other = unusableEndpoints(meta, OTHER_ENDPOINTS);
  if (signIn.length > 0) {
    return check(
      'endpoints',
      'fail',
      `${[...signIn, ...other].join('; ')}. Codes and tokens must travel over https (RFC 6749 §3.1, §3.2): the app refuses these endpoints, so it cannot sign in.`,
    );
  }
  if (other.length > 0) {
    return check(
      'endpoints',
      'warn',
      `${other.join('; ')}. Tokens must travel over https (RFC 6749 §3.1, §3.2): the app signs in, but will not use ${other.length === 1 ? 'this endpoint' : 'these endpoints'} (profile, sign-out at the provider, revocation).`,
    );
  }
  return check('endpoints', 'ok', 'Every endpoint is https (or http on loopback).');
}

export function checkPkce(meta: ProviderMetadata): DoctorCheck {
  // RFC 8414 §2: an absent code_challenge_methods_supported means no PKCE; several providers verify it all the same.
  const hint = notAdvertised(meta, 'code_challenge_methods_supported', 'S256');
  if (hint !== undefined) {
    return check(
      'pkce',
      'warn',
      `PKCE ${hint}. The app sends S256 on every sign-in (RFC 7636 §4.2, RFC 9700 §2.1.1): a provider that ignores it leaves a stolen code redeemable by another app, and one that took the challenge as "plain" would refuse every code exchange. The authorization-request line shows whether it refuses S256 outright; sign in once with "npm run cli -- login" to be sure, and check the provider's documentation.`,
    );
  }
  return check('pkce', 'ok', 'PKCE S256 is supported: the code is bound to this sign-in (RFC 7636).');
}

export function checkOfflineAccess(meta: ProviderMetadata, config: AuthConfig): DoctorCheck {
  const asks = config.scopes.includes('offline_access');
  if (!asks) {
    if (config.authorizationParams['access_type'] === 'offline') {
      return check(
        'offline-access',
        'ok',
        "The app asks for a refresh token with access_type=offline (Google's parameter) instead of the offline_access scope.",
      );
    }
    return check(
      'offline-access',
      'warn',
      "The configured scopes leave out offline_access: most providers then issue no refresh token, so the session does not survive the access token. Add offline_access to OIDC_SCOPES (or the provider's equivalent).",
    );
  }
  const hint = notAdvertised(meta, 'scopes_supported', 'offline_access');
  if (hint !== undefined) {
    return check(
      'offline-access',
      'warn',
      `The app asks for offline_access, but ${hint}: the provider may take it all the same, refuse it (invalid_scope, which the authorization-request line would show) or ignore it and issue no refresh token. Check the provider's guide (Google uses access_type=offline).`,
    );
  }
  return check(
    'offline-access',
    'ok',
    'The app asks for offline_access and the provider lists it (some providers issue the refresh token only with prompt=consent: OIDC Core §11).',
  );
}

export function checkIssParameter(meta: ProviderMetadata): DoctorCheck {
  if (meta['authorization_response_iss_parameter_supported'] === true) {
    return check(
      'iss-parameter',
      'ok',
      'The provider sends iss with the authorization response (RFC 9207); the app checks it against mix-up attacks.',
    );
  }
  return check(
    'iss-parameter',
    'warn',
    "The provider does not advertise the iss response parameter (RFC 9207): the app relies on state, PKCE and the ID token's iss instead. Fine with one configured provider.",
  );
}

export function checkEndSession(meta: ProviderMetadata): DoctorCheck {
  const endpoint = stringMember(meta, 'end_session_endpoint');
  if (endpoint === undefined) {
    return check(
      'end-session',
      'warn',
      "No end_session_endpoint (OIDC RP-Initiated Logout): signing out clears this device, but the provider's browser session stays, so the next sign-in may not ask for a password.",
    );
  }
  return check('end-session', 'ok', `Sign-out can end the provider's session (${endpoint}).`);
}

export function checkRevocation(meta: ProviderMetadata): DoctorCheck {
  const endpoint = stringMember(meta, 'revocation_endpoint');
  if (endpoint === undefined) {
    return check(
      'revocation',
      'warn',
      'No revocation_endpoint (RFC 7009): sign-out forgets the refresh token on this device but cannot revoke it, so it stays valid at the provider until it expires.',
    );
  }
  return check('revocation', 'ok', `Sign-out revokes the refresh token (${endpoint}).`);
}

/**
 * Whether a JWS algorithm is one the library verifies ID tokens with: the
 * asymmetric families openid-client supports (RFC 7518 §3.1 RSA, RSA-PSS and
 * ECDSA; RFC 8037 EdDSA and Ed25519). HMAC and `none` never qualify.
 */
export function isAsymmetricAlgorithm(alg: string): boolean {
  return /^(?:(?:RS|PS|ES)(?:256|384|512)|EdDSA|Ed25519)$/.test(alg);
}

/** The asymmetric ID token algorithms the provider offers; RS256 when it lists none (openid-client's fallback). */
export function idTokenAlgorithms(meta: ProviderMetadata): readonly string[] {
  const algs = listMember(meta, 'id_token_signing_alg_values_supported');
  if (algs === undefined || algs === 'invalid') return ['RS256'];
  return algs.filter((alg) => isAsymmetricAlgorithm(alg));
}

/**
 * The ID token algorithms are the one advertised list the app enforces: with no
 * `id_token_signed_response_alg` of its own, openid-client accepts only an ID
 * token whose `alg` the provider lists (oauth4webapi checkSigningAlgorithm), so
 * a list without an asymmetric algorithm proves no ID token would verify.
 */
export function checkSigningAlgorithms(meta: ProviderMetadata): DoctorCheck {
  const algs = listMember(meta, 'id_token_signing_alg_values_supported');
  if (algs === 'invalid') {
    return check(
      'signing-algorithms',
      'warn',
      'id_token_signing_alg_values_supported is malformed (not a list of strings): the app ignores it and accepts RS256 ID tokens only.',
    );
  }
  if (algs === undefined) {
    return check(
      'signing-algorithms',
      'warn',
      'id_token_signing_alg_values_supported is missing (required by OIDC Discovery §3): the app expects RS256 ID tokens and rejects any other.',
    );
  }
  const usable = algs.filter((alg) => isAsymmetricAlgorithm(alg));
  const other = algs.filter((alg) => !isAsymmetricAlgorithm(alg));
  if (usable.length === 0) {
    return check(
      'signing-algorithms',
      'fail',
      `ID tokens are signed with [${algs.join(', ')}] only: the app verifies ID tokens against the provider's public keys and accepts no symmetric (HS*) or unsigned ("none") ID token.`,
    );
  }
  return check(
    'signing-algorithms',
    'ok',
    `ID tokens are signed with ${usable.join(', ')} (asymmetric; verified against the JWKS)${other.length > 0 ? `; the app refuses ${other.join(', ')}` : ''}.`,
  );
}
