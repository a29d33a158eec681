/**
 * Whether a host name is the local machine. Plain `http` is tolerated only there: a token
 * issuer reached over the network without TLS could be impersonated (RFC 8414 §2 and
 * OpenID Connect Discovery §3 require `https` issuers; loopback is the local dev provider).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Checks a URL we fetch keys or metadata from: absolute, `https` (or `http` on loopback),
 * no credentials, no fragment. Returns what is wrong, or undefined when it is fine.
 */
export function describeInsecureUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not an absolute URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `"${value}" must use https (or http on a loopback address)`;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return `"${value}" uses plain http on a non-loopback host; use https`;
  }
  if (url.username !== '' || url.password !== '') return `"${value}" must not contain credentials`;
  if (url.hash !== '') return `"${value}" must not contain a fragment`;
  return undefined;
}
