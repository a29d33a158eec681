/**
 * A `fetch` the library uses for every outbound request (provider and API):
 * for proxies (Electron's `net.fetch`, undici's proxy agent) and for tests that
 * tamper with responses. Web platform types only, so the renderer's
 * type-check can see it too.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;
