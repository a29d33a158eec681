import { IssuerUnavailableError } from './errors.ts';
import { describeInsecureUrl } from './secure-url.ts';

/**
 * The discovery document's URL for an issuer (OpenID Connect Discovery 1.0 §4.1): the
 * issuer with any trailing `/` removed, followed by `/.well-known/openid-configuration`.
 */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/**
 * Fetches the issuer's discovery document and returns its `jwks_uri`.
 *
 * @throws {IssuerUnavailableError} the document cannot be fetched, is not JSON, names another
 *   issuer (OpenID Connect Discovery 1.0 §4.3: it MUST be identical to the configured one,
 *   which stops a metadata document from redirecting us to another issuer's keys), or has
 *   no usable `jwks_uri`.
 */
export async function discoverJwksUri(issuer: string, options: { timeoutMs: number }): Promise<URL> {
  const url = discoveryUrl(issuer);
  let document: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      // A redirect is refused rather than followed: the metadata must come from the issuer itself.
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status !== 200) {
      throw new Error(`expected 200 OK, got ${response.status}`);
    }
    document = await response.json();
  } catch (cause) {
    throw new IssuerUnavailableError(`The issuer's discovery document at ${url.href} cannot be fetched.`, {
      cause,
    });
  }

  if (typeof document !== 'object' || document === null) {
    throw new IssuerUnavailableError(`The discovery document at ${url.href} is not a JSON object.`);
  }
  const { issuer: announced, jwks_uri: jwksUri } = document as Record<string, unknown>;
  if (announced !== issuer) {
    throw new IssuerUnavailableError(
      `The discovery document at ${url.href} names issuer ${JSON.stringify(announced)}, ` +
        `but ISSUER_URL is "${issuer}"; set ISSUER_URL to exactly the provider's issuer.`,
    );
  }
  if (typeof jwksUri !== 'string') {
    throw new IssuerUnavailableError(`The discovery document at ${url.href} has no jwks_uri.`);
  }
  const problem = describeInsecureUrl(jwksUri);
  if (problem !== undefined) {
    throw new IssuerUnavailableError(`The discovery document's jwks_uri is unusable: ${problem}.`);
  }
  return new URL(jwksUri);
}
