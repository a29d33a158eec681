/**
 * Drill 5, the desktop's side: the OS keychain (the real Secret Service,
 * gnome-keyring) refuses mid-session, and the entry it holds is corrupt or
 * foreign. Runs inside `dbus-run-session -- scripts/with-keyring.sh`; skipped
 * with a note elsewhere. One sign-in for the file.
 *
 * | Fault                                          | What must hold                                                   |
 * | ---------------------------------------------- | ---------------------------------------------------------------- |
 * | keychain refuses the write of a rotated token  | session kept in memory, API calls go on, an error line says so   |
 * | keychain answers again                         | the next rotation is stored; a fresh launch restores from it     |
 * | keychain refuses the read at start             | `signed-out` with a warning, no request, the entry left intact   |
 * | entry corrupt, truncated, foreign, other version | `signed-out` with a line naming the problem, no request, no throw |
 */
import { randomUUID } from 'node:crypto';
import {
  launchBrowser,
  OpenInstances,
  recordingLogger,
  storedRefreshToken,
} from '@electron-oidc/test-support';
import { keychainAccount } from 'electron-oidc';
import type { DesktopAuth } from 'electron-oidc';
import { KeyringVault } from 'electron-oidc/vault';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSessionEntry, authFor, FaultyVault, faultFetch, signInAlice } from './harness.ts';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

const skip =
  process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS
    ? 'no D-Bus session (run: dbus-run-session -- scripts/with-keyring.sh npx vitest run …)'
    : undefined;
if (skip) console.warn(`NOTE: skipping the keychain fault drill: ${skip}`);

describe.skipIf(skip !== undefined)('drill 5: the keychain refuses, or holds a bad entry', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let keychain: KeyringVault;
  let vault: FaultyVault;
  const logger = recordingLogger();
  let auth: DesktopAuth;
  let offset = 0;
  const instances = new OpenInstances<DesktopAuth>();
  /** Alice's session entry (`<account> #<her account id>`) and the index as stored at sign-in. */
  let session: KeyringVault;
  let index: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    page = await browser.newPage();
    keychain = new KeyringVault({
      service: `electron-oidc-faults-${randomUUID()}`,
      account: keychainAccount(`${stack.issuer}/`, stack.idp.clientId),
    });
    vault = new FaultyVault(keychain);
    ({ auth } = await signInAlice(page, (openBrowser) =>
      authFor(stack, { vault, logger, openBrowser, now: () => Date.now() + offset }),
    ));
    instances.add(auth);
    session = (await activeSessionEntry(keychain)) as KeyringVault;
    index = (await keychain.read())!;
  });

  afterAll(async () => {
    instances.closeAll();
    await session?.clear();
    await keychain?.clear();
    await browser?.close();
    await stack?.close();
  });

  function expire(): void {
    offset = auth.accessTokenExpiresAt!.getTime() - Date.now() + 1_000;
  }

  it('when the keychain refuses to store the rotated token, the session goes on in memory, the outdated entry is cleared and the failure is logged', async () => {
    expect(await session.read()).toBeDefined();
    vault.faults.write = 'throw';
    expire();
    await auth.getAccessToken();
    expect(auth.state).toBe('signed-in');
    expect((await auth.fetchApi('/private')).status).toBe(200);
    // The entry held the rotated-out token; a later launch must not present it (reuse revokes the grant).
    expect(await session.read()).toBeUndefined();
    expect(logger.lines.join('\n')).toMatch(
      /error: Could not store the session in the keychain vault; it lasts until the app quits \(test: the keychain refused to write\)/,
    );
  });

  it('when the keychain answers again, the next rotation is stored and a fresh launch restores from it', async () => {
    vault.faults.write = undefined;
    const before = await session.read();
    expire();
    await auth.getAccessToken();
    const after = await session.read();
    expect(storedRefreshToken(after)).not.toBe(storedRefreshToken(before));

    const next = authFor(stack, { vault: keychain, logger: recordingLogger() });
    instances.add(next);
    expect(await next.restore()).toBe('signed-in');
    expect((await next.fetchApi('/private')).status).toBe(200);
    next.close();
    auth.close();
  });

  it('when the keychain refuses the read at start: signed out with a warning, no request, the entry left for later', async () => {
    const stored = await keychain.read();
    const failing = new FaultyVault(keychain);
    failing.faults.read = 'throw';
    const net = faultFetch();
    const log = recordingLogger();
    const next = authFor(stack, { vault: failing, logger: log, fetch: net.fetch });
    instances.add(next);
    expect(await next.restore()).toBe('signed-out');
    expect(net.sent).toEqual([]);
    expect(log.lines.join('\n')).toMatch(
      /warn: Could not read the stored accounts, so no stored session is restored \(test: the keychain refused to read\)/,
    );
    expect(await keychain.read()).toBe(stored);
  });

  const entry = (fields: Record<string, unknown>) =>
    JSON.stringify({
      v: 1,
      iss: `${stack.issuer}/`,
      client_id: stack.idp.clientId,
      sub: 'alice',
      refresh_token: 'x'.repeat(43),
      ...fields,
    });
  const bad: Array<[string, () => string, RegExp]> = [
    ['garbage', () => 'garbage\u0000\uFFFD', /\(corrupt\): the entry is not JSON/],
    ['truncated JSON', () => entry({}).slice(0, 40), /\(corrupt\): the entry is not JSON/],
    ['a JSON array', () => '[]', /\(corrupt\): the entry is not a JSON object/],
    ['a future format version', () => entry({ v: 99 }), /\(unsupported-version\)/],
    ['a DPoP-bound entry without its key', () => entry({ v: 2 }), /\(dpop-key-missing\)/],
    ['no version at all', () => entry({ v: undefined }), /\(unsupported-version\)/],
    ['no refresh token', () => entry({ refresh_token: '' }), /\(corrupt\): the entry lacks/],
    [
      'another issuer',
      () => entry({ iss: 'https://evil.example/' }),
      /\(foreign\): the entry belongs to issuer/,
    ],
    ['another client', () => entry({ client_id: 'other-app' }), /\(foreign\)/],
    ['an oversized entry', () => 'x'.repeat(70_000), /\(corrupt\): the entry is too large/],
  ];

  const places: Array<[string, (value: string) => Promise<void>]> = [
    ["the vault's own entry (a session stored before several accounts)", (value) => keychain.write(value)],
    [
      "the active account's entry",
      async (value) => {
        await keychain.write(index);
        await session.write(value);
      },
    ],
  ];
  const cases = places.flatMap(([place, put]) =>
    bad.map(([name, value, line]) => [name, place, () => put(value()), line] as const),
  );

  it.each(cases)(
    'an entry that is %s, in %s, means signed out, with a log line naming the problem and no request',
    async (_name, _place, put, line) => {
      await put();
      const net = faultFetch();
      const log = recordingLogger();
      const next = authFor(stack, { vault: keychain, logger: log, fetch: net.fetch });
      instances.add(next);
      expect(await next.restore()).toBe('signed-out');
      expect(net.sent).toEqual([]);
      expect(log.lines.join('\n')).toMatch(line);
      expect(log.lines.join('\n')).toMatch(/Ignoring the stored session .*Sign in again\./);
      await expect(next.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    },
  );

  const indexWith = (fields: Record<string, unknown>) =>
    JSON.stringify({ ...(JSON.parse(index) as Record<string, unknown>), ...fields });
  const badIndex: Array<[string, () => string, RegExp]> = [
    [
      'another issuer',
      () => indexWith({ iss: 'https://evil.example/' }),
      /belongs to another issuer or client/,
    ],
    ['another client', () => indexWith({ client_id: 'other-app' }), /belongs to another issuer or client/],
    ['a future format version', () => indexWith({ v: 99 }), /has an unknown format \(version 99\)/],
  ];

  it.each(badIndex)(
    'an index of accounts of %s means signed out, with a log line naming the problem and no request',
    async (_name, value, line) => {
      await keychain.write(value());
      const net = faultFetch();
      const log = recordingLogger();
      const next = authFor(stack, { vault: keychain, logger: log, fetch: net.fetch });
      instances.add(next);
      expect(await next.restore()).toBe('signed-out');
      expect(net.sent).toEqual([]);
      expect(log.lines.join('\n')).toMatch(line);
      expect(log.lines.join('\n')).toMatch(/Ignoring the stored accounts \(.*\)\. Sign in again\./);
      expect(next.listAccounts()).toEqual([]);
    },
  );

  it('a sign-in over a bad entry replaces it', async () => {
    await keychain.write('garbage');
    const { auth: fresh } = await signInAlice(page, (openBrowser) =>
      authFor(stack, { vault: keychain, logger: recordingLogger(), openBrowser }),
    );
    instances.add(fresh);
    expect(storedRefreshToken(await (await activeSessionEntry(keychain)).read())).toEqual(expect.any(String));
    const next = authFor(stack, { vault: keychain, logger: recordingLogger() });
    instances.add(next);
    expect(await next.restore()).toBe('signed-in');
  });
});
