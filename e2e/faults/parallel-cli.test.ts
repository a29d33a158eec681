/**
 * Drill 8: several CLI processes on one session at once (`npm run cli -- get
 * /private` started together from a script). Real processes, the dev provider
 * (which rotates refresh tokens and revokes the whole grant when a rotated-out
 * one comes back, RFC 9700 §4.14.2), the sealed vault on the real
 * gnome-keyring. Runs inside `dbus-run-session -- scripts/with-keyring.sh`;
 * skipped with a note elsewhere.
 *
 * | Fault                                                        | What must hold                                                    |
 * | ------------------------------------------------------------ | ----------------------------------------------------------------- |
 * | 20 `get /private` at once, each forced to refresh            | all exit 0; `status` afterwards is still signed in                |
 * | a process holding the refresh lock is killed (SIGKILL)       | the next `get /private` breaks the stale lock and succeeds        |
 *
 * Without the lock, the processes present one refresh token together: the
 * provider counts the second use as reuse, revokes the grant, and everyone is
 * signed out. Without stale-lock detection, the killed holder's lock file
 * blocks the next process until it gives up.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { finishInteraction, launchBrowser } from '@electron-oidc/test-support';
import { NO_BUS_NOTE, sessionFile, spawnCli, startCliUser } from '@electron-oidc/test-support/cli';
import type { CliUser } from '@electron-oidc/test-support/cli';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alice } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PARALLEL = 20;
/** Access tokens live 5 minutes; refreshing an hour ahead makes every command refresh. */
const ACCESS_TOKEN_TTL_SECONDS = 300;
const REFRESH_AHEAD_SECONDS = '3600';
const PRIVATE_MESSAGE = { message: 'Only authenticated users can read this message.' };

describe.skipIf(NO_BUS_NOTE !== '')(`drill 8: CLI processes in parallel on one session${NO_BUS_NOTE}`, () => {
  let stack: LocalStack;
  let browser: Browser;
  let user: CliUser;
  const slot = { service: `electron-oidc-parallel-${randomUUID()}`, account: 'parallel-cli' };

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startLocalStack({ accessTokenTtl: ACCESS_TOKEN_TTL_SECONDS }),
      launchBrowser(),
    ]);
    user = await startCliUser(
      {
        OIDC_ISSUER: stack.issuer,
        OIDC_CLIENT_ID: stack.idp.clientId,
        OIDC_API_AUDIENCE: stack.idp.apiResource,
        OIDC_API_BASE_URL: stack.api.url,
      },
      slot,
    );
    const login = user.run('login');
    const page = await browser.newPage();
    await page.goto(await user.sink.next());
    await finishInteraction(page, alice);
    expect((await login.result).code).toBe(0);
  });
  afterAll(async () => {
    await user?.close();
    await browser?.close();
    await stack?.close();
  });

  /** `get /private` as a process that refreshes before it calls the API. */
  function getPrivate() {
    return spawnCli(
      ['get', '/private'],
      { ...user.env, OIDC_REFRESH_AHEAD_SECONDS: REFRESH_AHEAD_SECONDS },
      user.cwd,
    );
  }

  async function expectStillSignedIn(): Promise<void> {
    const status = await user.run('status').result;
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Signed in as Alice Liddell');
  }

  it(`${PARALLEL} "get /private" started together, each refreshing: all succeed and the session stays signed in`, async () => {
    const runs = await Promise.all(Array.from({ length: PARALLEL }, () => getPrivate().result));
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual(PRIVATE_MESSAGE);
    }
    await expectStillSignedIn();
  }, 120_000);

  it('a process killed while holding the refresh lock does not block the next one', async () => {
    // The refresh lock is the account's own: beside its session's sealed file (`<account> #<id>`).
    const { active } = await user.storedAccounts();
    const lockFile = `${sessionFile(slot, user.vaultDirectory, active!)}.lock`;
    const holder = fork(
      path.join(here, 'fixtures/lock-holder.ts'),
      [
        JSON.stringify({
          config: stack.config,
          service: slot.service,
          account: slot.account,
          directory: user.env.OIDC_VAULT_DIR,
        }),
      ],
      { stdio: 'inherit' },
    );
    await new Promise<void>((resolve, reject) => {
      holder.once('message', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
    });
    const killed = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await killed;
    // The killed holder left its lock behind: the next process must see that no one holds it.
    await expect(access(lockFile)).resolves.toBeUndefined();

    const run = await getPrivate().result;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(PRIVATE_MESSAGE);
    await expectStillSignedIn();
  }, 30_000);
});
