import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi } from '@electron-oidc/api';
import { startIdp } from '@electron-oidc/dev-idp';
import type { RunningIdp } from '@electron-oidc/dev-idp';
import { completeLogin } from '@electron-oidc/test-support';
import type { DemoCredentials } from '@electron-oidc/test-support';
import type { JWK } from 'jose';
import type { Page } from 'playwright-core';
import { createDesktopAuth } from '../../../src/core/desktop-auth.ts';
import type { DesktopAuth, DesktopAuthOptions } from '../../../src/core/desktop-auth.ts';
import type { Logger } from '../../../src/core/logger.ts';
import type { FetchLike } from '../../../src/core/provider.ts';
import { MemoryVault } from '../../../src/core/vault/memory-vault.ts';
import type { Vault } from '../../../src/core/vault/vault.ts';

export const alice: DemoCredentials = { username: 'alice', password: 'wonderland' };

/** A plain in-memory vault the tests can share between library instances and inspect. */
export class SharedMemoryVault implements Vault {
  readonly kind = 'test-memory';
  readonly persistent = true;
  value: string | undefined;
  async read() {
    return this.value;
  }
  async write(value: string) {
    this.value = value;
  }
  async clear() {
    this.value = undefined;
  }
  /** The stored refresh token (tests only). */
  get refreshToken(): string | undefined {
    return this.value === undefined
      ? undefined
      : (JSON.parse(this.value) as { refresh_token: string }).refresh_token;
  }
}

/** A logger that keeps lines, so tests can check a token never reaches it. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

/** The local provider and the API on ephemeral loopback ports, with a temporary data folder. */
export interface Stack {
  idp: RunningIdp;
  apiUrl: string;
  dataDir: string;
  /** Stops the provider only (to play "provider down"). */
  stopIdp(): Promise<void>;
  /** Starts the provider again on the same port and data folder. */
  restartIdp(): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(options: { accessTokenTtl?: number } = {}): Promise<Stack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'electron-oidc-idp-'));
  const idpOptions = { port: 0, dataDir, env: {}, ...options };
  let idp = await startIdp(idpOptions);
  const api = await startApi({ issuer: idp.issuer, audience: idp.apiResource, port: 0 });
  let idpRunning = true;
  const stack: Stack = {
    idp,
    apiUrl: api.url,
    dataDir,
    async stopIdp() {
      if (idpRunning) await idp.close();
      idpRunning = false;
    },
    async restartIdp() {
      idp = await startIdp({ ...idpOptions, port: idp.port });
      stack.idp = idp;
      idpRunning = true;
    },
    async close() {
      await api.close();
      if (idpRunning) await idp.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** The provider's private signing key, to re-sign tampered ID tokens as the provider would. */
export async function providerSigningKey(stack: Stack): Promise<JWK> {
  const keys = JSON.parse(await readFile(path.join(stack.dataDir, 'keys.json'), 'utf8')) as {
    jwks: { keys: JWK[] };
  };
  const key = keys.jwks.keys[0];
  if (key === undefined) throw new Error('the provider has no signing key');
  return key;
}

/**
 * A fetch that counts requests by grant type at the token endpoint and lets a
 * test rewrite responses.
 */
export interface CountingFetch {
  fetch: FetchLike;
  grants: string[];
  tamper: ((url: string, init: RequestInit, response: Response) => Promise<Response>) | undefined;
}

export function countingFetch(): CountingFetch {
  const counter: CountingFetch = {
    grants: [],
    tamper: undefined,
    fetch: async (url, init) => {
      const grant = init.body instanceof URLSearchParams ? init.body.get('grant_type') : null;
      if (grant !== null) counter.grants.push(grant);
      const response = await fetch(url, init);
      return counter.tamper === undefined ? response : counter.tamper(url, init, response);
    },
  };
  return counter;
}

/**
 * Completes whatever the provider shows: the login page (then consent), or
 * only the consent page when the provider still knows the user, or nothing.
 */
export async function finishInteraction(page: Page, credentials: DemoCredentials = alice): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/interaction/')) return;
  if ((await page.getByLabel('Username').count()) > 0) {
    await completeLogin(page, credentials);
    return;
  }
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/interaction/') && !u.pathname.startsWith('/auth'), {
    waitUntil: 'commit',
  });
}

/**
 * Plays the user's system browser: opens the URL in a Chromium page and, when
 * the provider shows its login page, signs in like a person would.
 */
export function browserOpener(page: Page, credentials: DemoCredentials = alice) {
  const opened: string[] = [];
  const navigations: Array<Promise<void>> = [];
  const open = async (url: string): Promise<void> => {
    opened.push(url);
    navigations.push(
      (async () => {
        await page.goto(url);
        await finishInteraction(page, credentials);
      })(),
    );
  };
  return { open, opened, settled: () => Promise.all(navigations) };
}

/** A library instance wired to the stack. */
export function authFor(
  stack: Stack,
  options: Partial<DesktopAuthOptions> & { config?: Record<string, unknown> },
): DesktopAuth {
  return createDesktopAuth({
    logger: recordingLogger(),
    retrySchedule: [50],
    // Each instance its own session unless a test shares a vault on purpose.
    vault: new MemoryVault(),
    ...options,
    config: {
      issuer: stack.idp.issuer,
      clientId: stack.idp.clientId,
      apiAudience: stack.idp.apiResource,
      apiBaseUrl: stack.apiUrl,
      ...options.config,
    },
  });
}
