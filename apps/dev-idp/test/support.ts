import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as client from 'openid-client';
import { expect } from 'vitest';
import { startIdp } from '../src/index.ts';
import type { IdpOptions, RunningIdp } from '../src/index.ts';

// The openid-client side of a sign-in is shared with the whole-system tests.
export {
  ALICE,
  SCOPE,
  buildAuthorizationRequest,
  discover,
  signIn,
  startLoopbackTarget,
} from '@electron-oidc/test-support';
export type { AuthorizationRequest, LoopbackTarget } from '@electron-oidc/test-support';

/** A fresh temporary data folder; remove it with {@link removeDir}. */
export function makeDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'dev-idp-test-'));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** The provider on an ephemeral port, ignoring the developer's IDP_* variables. */
export function startTestIdp(dataDir: string, options: IdpOptions = {}): Promise<RunningIdp> {
  return startIdp({ port: 0, dataDir, env: {}, ...options });
}

/** The provider's answer to a refused token request, e.g. `invalid_grant`. */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(client.ResponseBodyError);
  return (error as client.ResponseBodyError).error;
}
