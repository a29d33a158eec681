/**
 * Drill 4: two desktop processes share one keychain entry (two launches of
 * the app without the single-instance lock). Each process is a child running
 * the library (fixtures/library-process.ts) on the same real Secret Service
 * entries (the index of accounts in the vault's own, alice's session in
 * `<account> #<her id>`), keychain only (no `directory`, so no lock file: see
 * parallel-cli.test.ts for processes on the sealed vault, whose lock keeps
 * refreshes apart). Runs inside `dbus-run-session -- scripts/with-keyring.sh`;
 * skipped with a note elsewhere.
 *
 * What it shows: with rotation and reuse detection (oidc-provider revokes the
 * whole grant when a rotated-out refresh token comes back, RFC 9700 §4.14.2),
 * a process must never present the token it holds in memory once another has
 * rotated it. So before every refresh the session re-reads the entry and takes
 * up a newer refresh token stored there, and after `invalid_grant` it re-reads
 * once more and retries with a newer one before signing out. One after the
 * other, both processes stay signed in. At the same moment (both sending the
 * same token before either stored the next), only a lock across processes
 * helps, and the keychain alone has none: the end state is still clean, each
 * process signed in or signed out, never stuck `offline`. The desktop app's
 * single-instance lock (`app.requestSingleInstanceLock()`) and the sealed
 * vault's lock file are the defences there.
 *
 * | Sequence                                                         | Outcome                                              |
 * | ---------------------------------------------------------------- | ---------------------------------------------------- |
 * | A restores (T0→T1), B restores (T1→T2), A refreshes              | A re-reads the entry and refreshes with T2, not T1:  |
 * |                                                                  | signed in; the grant lives                           |
 * | then B refreshes                                                 | B takes up A's T3 likewise: signed in                |
 * | then a new launch                                                | restores from the entry: signed in                   |
 * | A and B start together, both send T0 at once, then refresh again | each ends signed in or signed out, never offline; a  |
 * |                                                                  | new launch from the entry is signed in or cleanly out |
 * |                                                                  | (observed: the loser's restore gets `invalid_grant`,  |
 * |                                                                  | the winner's next refresh too; both signed out)       |
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, recordingLogger } from '@electron-oidc/test-support';
import { keychainAccount } from 'electron-oidc';
import { KeyringVault } from 'electron-oidc/vault';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authFor, signInAlice, storedIndex, until } from './harness.ts';
import { startLocalStack } from '@electron-oidc/test-support/local-stack';
import type { LocalStack } from '@electron-oidc/test-support/local-stack';

const here = path.dirname(fileURLToPath(import.meta.url));
const skip =
  process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS
    ? 'no D-Bus session (run: dbus-run-session -- scripts/with-keyring.sh npx vitest run …)'
    : undefined;
if (skip) console.warn(`NOTE: skipping the shared-vault drill: ${skip}`);

interface Reply {
  reply: string;
  state: string;
}

/** A desktop process running the library on the shared entry. */
class DesktopProcess {
  readonly child: ChildProcess;
  readonly atGate: number[] = [];
  #next = 0;
  readonly #pending = new Map<number, (r: Reply) => void>();
  readonly ready: Promise<void>;

  constructor(options: object) {
    this.child = fork(path.join(here, 'fixtures/library-process.ts'), [JSON.stringify(options)], {
      stdio: 'inherit',
    });
    let ready!: () => void;
    this.ready = new Promise((resolve) => (ready = resolve));
    this.child.on('message', (m: { id?: number; at?: string; ready?: boolean } & Reply) => {
      if (m.ready === true) ready();
      else if (m.at === 'gate') this.atGate.push(Date.now());
      else if (m.id !== undefined) this.#pending.get(m.id)?.({ reply: m.reply, state: m.state });
    });
  }

  run(command: string): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.child.send({ id, command });
    });
  }

  stop(): Promise<void> {
    if (!this.child.connected) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    return exited;
  }
}

describe.skipIf(skip !== undefined)('drill 4: two processes share one keychain entry', () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let keychain: KeyringVault;
  let processes: DesktopProcess[] = [];
  let aliceId: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startLocalStack(), launchBrowser()]);
    page = await browser.newPage();
    keychain = new KeyringVault({
      service: `electron-oidc-faults-${randomUUID()}`,
      account: keychainAccount(`${stack.issuer}/`, stack.idp.clientId),
    });
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
  });
  afterAll(async () => {
    if (aliceId !== undefined) await keychain?.entry(aliceId).clear();
    await keychain?.clear();
    await browser?.close();
    await stack?.close();
  });

  /** Signs alice in; the keychain's own entry holds the index, her session is in `keychain.entry(aliceId)`. */
  async function signInToKeychain(): Promise<void> {
    const { auth } = await signInAlice(page, (openBrowser) =>
      authFor(stack, { vault: keychain, logger: recordingLogger(), openBrowser }),
    );
    aliceId = auth.listAccounts()[0]!.id;
    auth.close();
    expect((await storedIndex(keychain))?.active).toBe(aliceId);
    expect(await keychain.entry(aliceId).read()).toBeDefined();
  }

  async function launch(gate = false): Promise<DesktopProcess> {
    const p = new DesktopProcess({
      config: {
        issuer: stack.issuer,
        clientId: stack.idp.clientId,
        apiAudience: stack.idp.apiResource,
        apiBaseUrl: stack.api.url,
      },
      service: keychain.service,
      account: keychain.account,
      gate,
    });
    processes.push(p);
    await p.ready;
    return p;
  }

  it('one after the other, two processes on one entry both stay signed in: each refresh takes up the token the other stored', async () => {
    await signInToKeychain();
    const a = await launch();
    const b = await launch();
    expect(await a.run('restore')).toEqual({ reply: 'signed-in', state: 'signed-in' });
    expect(await b.run('restore')).toEqual({ reply: 'signed-in', state: 'signed-in' });

    // A holds the token B has rotated out; it refreshes with the one B stored instead.
    expect(await a.run('expire-and-refresh')).toEqual({ reply: 'ok', state: 'signed-in' });
    expect(await b.run('expire-and-refresh')).toEqual({ reply: 'ok', state: 'signed-in' });

    // The entry holds a live token: a new launch restores from it.
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
    const next = authFor(stack, { vault: keychain, logger: recordingLogger() });
    const state = await next.restore();
    next.close();
    expect(state).toBe('signed-in');
  });

  it('at the same moment, both sending the stored token together: each ends signed in or signed out, never offline', async () => {
    await signInToKeychain();
    const a = await launch(true);
    const b = await launch(true);
    const restores = [a.run('restore'), b.run('restore')];
    await until(() => a.atGate.length === 1 && b.atGate.length === 1);
    await Promise.all([a.run('release'), b.run('release')]);
    // Observed here every time: the provider sees the second T0 as a reuse, so one restore ends
    // signed out and the other's next refresh gets invalid_grant. Which one wins is up to the race.
    await Promise.all(restores);
    const after = await Promise.all([a.run('expire-and-refresh'), b.run('expire-and-refresh')]);
    for (const { state } of after) expect(['signed-in', 'signed-out']).toContain(state);

    // A later launch from whatever the entry holds ends signed in or cleanly signed out.
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
    const next = authFor(stack, { vault: keychain, logger: recordingLogger() });
    const state = await next.restore();
    next.close();
    expect(['signed-in', 'signed-out']).toContain(state);
    // Signed out: the account left the index, and its session's entry is cleared.
    if (state === 'signed-out') {
      expect((await storedIndex(keychain))?.accounts ?? []).toEqual([]);
      expect(await keychain.entry(aliceId).read()).toBeUndefined();
    }
  });
});
