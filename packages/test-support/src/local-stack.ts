/**
 * The local provider (apps/dev-idp) and the API on ephemeral loopback ports: the
 * stack every sign-in test against a real provider starts. The provider can be
 * stopped ("the network is down") and started again on the same port and data
 * folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi } from '@electron-oidc/api';
import type { RunningApi } from '@electron-oidc/api';
import { startIdp } from '@electron-oidc/dev-idp';
import type { IdpOptions, RunningIdp } from '@electron-oidc/dev-idp';
import type { AuthConfigInput } from 'electron-oidc';

export interface LocalStack {
  /** The running provider (a new handle after each restart). */
  idp: RunningIdp;
  issuer: string;
  api: RunningApi;
  /** The library's configuration for this provider and API (what an app would write). */
  config: AuthConfigInput;
  dataDir: string;
  idpRunning: boolean;
  /** Stops the provider only (the port stays known, the data folder stays). */
  stopIdp(): Promise<void>;
  /** Starts the provider again on the same port and data folder (nothing if it runs). */
  restartIdp(): Promise<void>;
  /**
   * The last one-time code the provider issued to the account (a step-up sign-in,
   * `acr_values` with ACR_OTP), or undefined; read it once the code page shows.
   */
  lastOneTimeCode(accountId: string): string | undefined;
  /** Another API against this issuer, closed with the stack. */
  startApi(options?: { tokenCache?: 'on' | 'off' }): Promise<RunningApi>;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  /** The provider's data folder, left in place on close (default: a temporary one, removed on close). */
  dataDir?: string;
  accessTokenTtl?: number;
  /** Demand a nonce in every DPoP proof (the provider's IDP_DPOP_NONCE); default off. */
  dpopNonce?: boolean;
  /** Also receives each one-time code, besides {@link LocalStack.lastOneTimeCode}. */
  onOneTimeCode?: (accountId: string, code: string) => void;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'electron-oidc-idp-')));
  const oneTimeCodes = new Map<string, string>();
  const idpOptions: IdpOptions = {
    port: 0,
    dataDir,
    env: {},
    accessTokenTtl: options.accessTokenTtl,
    dpopNonce: options.dpopNonce,
    onOneTimeCode(accountId, code) {
      oneTimeCodes.set(accountId, code);
      options.onOneTimeCode?.(accountId, code);
    },
  };
  const idp = await startIdp(idpOptions);
  const apis: RunningApi[] = [];
  const newApi = async (o: { tokenCache?: 'on' | 'off' } = {}): Promise<RunningApi> => {
    const api = await startApi(
      { issuer: idp.issuer, audience: idp.apiResource, port: 0, ...o },
      { log: () => {} },
    );
    apis.push(api);
    return api;
  };
  const api = await newApi();
  const stack: LocalStack = {
    idp,
    issuer: idp.issuer,
    api,
    config: { issuer: idp.issuer, clientId: idp.clientId, apiAudience: idp.apiResource, apiBaseUrl: api.url },
    dataDir,
    idpRunning: true,
    async stopIdp() {
      if (stack.idpRunning) await stack.idp.close();
      stack.idpRunning = false;
    },
    async restartIdp() {
      if (stack.idpRunning) return;
      stack.idp = await startIdp({ ...idpOptions, port: idp.port });
      stack.idpRunning = true;
    },
    lastOneTimeCode: (accountId) => oneTimeCodes.get(accountId),
    startApi: newApi,
    async close() {
      await Promise.all(apis.map((api) => api.close()));
      await stack.stopIdp();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}
