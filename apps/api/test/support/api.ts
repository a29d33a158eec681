import { onTestFinished } from 'vitest';
import { TEST_AUDIENCE } from '@electron-oidc/test-support';
import type { FakeIssuer } from '@electron-oidc/test-support';
import { startApi } from '../../src/index.ts';
import type { ApiConfig, CreateApiOptions } from '../../src/index.ts';
import { bearer, request } from './http.ts';
import type { TestRequest, TestResponse } from './http.ts';

export interface TestApi {
  url: string;
  /** Every log entry the API wrote, as objects. */
  logs: Record<string, unknown>[];
  get(path: string, options?: TestRequest): Promise<TestResponse>;
}

/**
 * Starts the API on an ephemeral loopback port against `issuer`, capturing its logs;
 * it is closed when the current test finishes.
 */
export async function startTestApi(
  issuer: FakeIssuer,
  config: Partial<ApiConfig> = {},
  options: Pick<CreateApiOptions, 'now'> = {},
): Promise<TestApi> {
  const logs: Record<string, unknown>[] = [];
  const api = await startApi(
    { issuer: issuer.url, audience: TEST_AUDIENCE, port: 0, ...config },
    { log: (entry) => logs.push(entry as Record<string, unknown>), ...options },
  );
  onTestFinished(() => api.close());
  return {
    url: api.url,
    logs,
    get: (path, options) => request(`${api.url}${path}`, options),
  };
}

/**
 * Both settings of the token cache: suites that check what the API refuses run once with it
 * off and once with it on and warm, to show the cache never turns a refusal into a pass.
 */
export const TOKEN_CACHE_MODES = ['on', 'off'] as const;

/** Has the API accept (and, with the cache on, remember) a valid token of `issuer`. */
export async function warmTokenCache(api: TestApi, issuer: FakeIssuer): Promise<string> {
  const token = await issuer.sign();
  const res = await api.get('/private', { headers: bearer(token) });
  if (res.status !== 200) throw new Error(`warming the token cache got ${res.status}`);
  return token;
}

/** The exact challenge of RFC 6750 §3 for an error, as this API builds it. */
export function challenge(error: string, description: string, extra = ''): string {
  return `Bearer realm="api", error="${error}", error_description="${description}"${extra}`;
}
