import type * as client from 'openid-client';
import type { FetchLike } from './provider.ts';

interface Prefetch {
  readonly url: string;
  readonly response: Promise<Response>;
}

/**
 * The provider's JWKS requested together with a refresh grant, as verifying
 * the refreshed ID token needs it, so that a silent sign-in waits for one
 * round trip, not two.
 *
 * When openid-client itself fetches the key set is its own rule (oauth4webapi
 * refetches after an age it does not export, or for an unknown `kid`), and
 * this class does not copy it. It owns the decision instead: every refresh
 * grant whose answer is expected to carry an ID token starts a JWKS request
 * beside it; if openid-client asks for the key set while that grant runs, it
 * gets that response; if not (its copy was still fresh), the response is
 * dropped. At most one GET of the JWKS per refresh, in parallel with it.
 */
export class JwksPrefetch {
  readonly #fetch: FetchLike;
  /** Whether a JWKS at `http:` may be fetched (only for a loopback issuer, as openid-client allows). */
  readonly #allowHttp: boolean;
  /** The prefetch openid-client's next GET of the JWKS takes; each grant owns its own. */
  #current: Prefetch | undefined;
  /** Whether the last refresh answer carried an ID token (if not, the JWKS is not fetched alongside). */
  #expectIdToken = true;

  constructor(fetch: FetchLike, options: { allowHttp: boolean }) {
    this.#fetch = fetch;
    this.#allowHttp = options.allowHttp;
  }

  /** Runs one refresh `grant` with the JWKS request started beside it. */
  async around<T extends { readonly id_token?: string | undefined }>(
    c: client.Configuration,
    grant: () => Promise<T>,
  ): Promise<T> {
    const prefetch = this.#start(c);
    if (prefetch !== undefined) this.#current = prefetch;
    try {
      const tokens = await grant();
      this.#expectIdToken = tokens.id_token !== undefined;
      return tokens;
    } finally {
      // Only this grant's own prefetch: an overlapping refresh may have set its own since.
      if (prefetch !== undefined && this.#current === prefetch) this.#current = undefined;
      // Unused (openid-client's copy was fresh, or no ID token came back): release its connection.
      void prefetch?.response.then((r) => (r.bodyUsed ? undefined : r.body?.cancel())).catch(() => {});
    }
  }

  /** For openid-client's request: the prefetched response if it is a GET of that JWKS, once. */
  take(url: string, init: RequestInit): Promise<Response> | undefined {
    const prefetch = this.#current;
    if (prefetch === undefined || prefetch.url !== url || (init.method ?? 'GET') !== 'GET') return undefined;
    this.#current = undefined;
    return prefetch.response;
  }

  #start(c: client.Configuration): Prefetch | undefined {
    const jwksUri = c.serverMetadata().jwks_uri;
    if (jwksUri === undefined || !URL.canParse(jwksUri) || !this.#expectIdToken) return undefined;
    const url = new URL(jwksUri);
    // The same rule openid-client applies before its own request: https, or http for a loopback issuer.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.#allowHttp)) return undefined;
    const response = this.#fetch(url.href, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    // A failure reaches openid-client only if it asks for the JWKS; otherwise it is dropped here.
    response.catch(() => {});
    return { url: url.href, response };
  }
}
