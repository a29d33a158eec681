/**
 * Drill 5, the provider's side: the disk holding the provider's data folder
 * fills up while alice is signed in. The data folder is a real 1 MiB tmpfs,
 * filled to the last byte, so the provider's writes fail with a real ENOSPC.
 * Mounting needs root; elsewhere the drill is skipped with a note (the dev-idp
 * unit test "undo a change whose write failed" covers the adapter alone).
 *
 * | Fault                        | What must hold                                                              |
 * | ---------------------------- | --------------------------------------------------------------------------- |
 * | disk full during a refresh   | the provider answers 500 `server_error` (OAuth JSON), not a broken response  |
 * |                              | the library goes `offline`, keeps the session and the vault                  |
 * | disk freed                   | the background retry renews with the SAME refresh token: the grant survived  |
 * | provider restarted after it  | its files are whole JSON (atomic writes); a fresh launch restores silently   |
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, OpenInstances, recordingLogger, TestVault } from '@electron-oidc/test-support';
import type { DesktopAuth } from 'electron-oidc';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFor, faultFetch, grantOf, signInAlice, until } from './harness.ts';
import type { FaultFetch } from './harness.ts';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

/** A fresh tmpfs of 1 MiB, or why there is none. */
function mountTinyDisk(): { dir: string; skip?: undefined } | { dir?: undefined; skip: string } {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return { skip: 'mounting a tmpfs needs Linux and root' };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'faults-tiny-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (${error instanceof Error ? error.message.trim() : error})` };
  }
}

const disk = mountTinyDisk();
if (disk.skip !== undefined) console.warn(`NOTE: skipping the provider disk-full drill: ${disk.skip}`);

describe.skipIf(disk.skip !== undefined)('drill 5: the provider’s disk is full', () => {
  const dataDir = disk.dir!;
  const filler = path.join(dataDir, 'filler');
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  const vault = new TestVault();
  const logger = recordingLogger();
  let net: FaultFetch;
  let auth: DesktopAuth;
  let offset = 0;
  const instances = new OpenInstances<DesktopAuth>();
  const tokenAnswers: Array<{ status: number; body: unknown }> = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack({ dataDir }), launchBrowser()]);
    page = await browser.newPage();
    net = faultFetch();
    net.after = async (_url, init, response) => {
      if (grantOf(init) === 'refresh_token') {
        tokenAnswers.push({ status: response.status, body: await response.clone().json() });
      }
      return response;
    };
    ({ auth } = await signInAlice(page, (openBrowser) =>
      authFor(stack, { vault, logger, openBrowser, fetch: net.fetch, now: () => Date.now() + offset }),
    ));
    instances.add(auth);
  });

  afterAll(async () => {
    instances.closeAll();
    await browser?.close();
    await stack?.close();
    execFileSync('umount', [dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function fillDisk(): Promise<void> {
    const { bavail, bsize } = statfsSync(dataDir);
    await writeFile(filler, Buffer.alloc(Number(bavail) * Number(bsize)));
    expect(statfsSync(dataDir).bavail).toBe(0);
  }

  it('a refresh while the disk is full: the provider answers 500 server_error, the library is offline and keeps everything', async () => {
    const stored = vault.value;
    await fillDisk();
    offset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1_000;
    await expect(auth.getAccessToken()).rejects.toMatchObject({ code: 'ERR_OFFLINE' });
    expect(tokenAnswers[0]).toEqual({
      status: 500,
      body: expect.objectContaining({ error: 'server_error' }),
    });
    expect(auth.state).toBe('offline');
    expect(vault.value).toBe(stored);
  });

  it('once space is freed, the background retry renews with the same refresh token: the grant survived the full disk', async () => {
    const stored = vault.value;
    await rm(filler);
    await until(() => auth.state !== 'offline');
    expect(auth.state).toBe('signed-in');
    expect(vault.value).not.toBe(stored);
    expect(tokenAnswers.at(-1)?.status).toBe(200);
    // Every retry was answered 500 or 200, never invalid_grant (a consumed token's reuse).
    expect(tokenAnswers.every((a) => a.status === 500 || a.status === 200)).toBe(true);
    expect((await auth.fetchApi('/private')).status).toBe(200);
  });

  it('after a restart the provider reads its files back whole and a fresh launch restores silently', async () => {
    await stack.stopIdp();
    await stack.restartIdp();
    auth.close();
    const next = authFor(stack, { vault, logger });
    instances.add(next);
    expect(await next.restore()).toBe('signed-in');
    expect((await next.fetchApi('/private')).status).toBe(200);
  });
});
