// One API, one issuer and one DPoP client per test, for the DPoP suites; each suite runs with
// the token cache on (and warm with the bound token) and off.
import { afterEach, beforeEach, expect } from 'vitest';
import { FakeIssuer } from '@electron-oidc/test-support';
import type { ApiConfig } from '../../src/index.ts';
import { startTestApi } from './api.ts';
import type { TestApi } from './api.ts';
import { createDpopClient, dpopChallenge, dpopHeaders } from './dpop.ts';
import type { DpopClient, ProofOptions } from './dpop.ts';
import type { TestResponse } from './http.ts';

export interface DpopContext {
  issuer: FakeIssuer;
  api: TestApi;
  client: DpopClient;
  /** An access token bound to `client`'s key. */
  token: string;
  /** `htu` of `GET /private` on this API. */
  url: string;
  /** A proof by `client` for `GET /private` with `token`, changed by `options`. */
  proof(options?: Partial<ProofOptions>): Promise<string>;
  /** `GET /private` with `Authorization: DPoP <token>` and these proofs. */
  send(proofs: string[], token?: string, path?: string): Promise<TestResponse>;
}

/** Registers the set-up of each test; the context is filled in before each one. */
export function useDpopApi(config: () => Partial<ApiConfig>): DpopContext {
  const context = {} as DpopContext;
  beforeEach(async () => {
    context.issuer = await FakeIssuer.start();
    context.api = await startTestApi(context.issuer, config());
    context.client = await createDpopClient();
    context.token = await context.issuer.sign({ claims: { cnf: { jkt: context.client.jkt } } });
    context.url = `${context.api.url}/private`;
    context.proof = (options = {}) =>
      context.client.proof({ url: context.url, accessToken: context.token, ...options });
    context.send = (proofs, token = context.token, path = '/private') =>
      context.api.get(path, { headers: dpopHeaders(token, ...proofs) });
    if (config().tokenCache !== 'off') {
      // Warm: the token is remembered, so every case below meets the cache.
      expect((await context.send([await context.proof()])).status).toBe(200);
    }
  });
  afterEach(() => context.issuer.close());
  return context;
}

/** The exact 401 of RFC 9449 §7.1: status, DPoP challenge with `algs`, JSON body. */
export async function expectDpopRefusal(
  res: TestResponse,
  error: 'invalid_dpop_proof' | 'invalid_token',
  description: string,
): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe(dpopChallenge(error, description));
  expect(res.body).toEqual({ error, error_description: description });
}
