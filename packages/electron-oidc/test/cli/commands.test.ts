/**
 * The session commands' words and exit codes, on a double of the library's
 * accounts (the real library, provider and keychain are end-to-end.test.ts
 * and accounts.end-to-end.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { SESSION_COMMANDS } from '../../src/cli/commands.ts';
import type { SessionInvocation } from '../../src/cli/commands.ts';
import { parseCommandLine } from '../../src/cli/args.ts';
import type { SessionContext } from '../../src/cli/session.ts';
import { terminalOf } from '../../src/cli/terminal.ts';
import { defineConfig } from '../../src/core/config.ts';
import type { AccountsMode } from '../../src/core/config.ts';
import type { AccountSummary, DesktopAuth, SignOutOptions } from '../../src/core/desktop-auth.ts';
import { AuthError } from '../../src/core/errors.ts';
import type { Profile } from '../../src/core/profile.ts';
import type { SessionState } from '../../src/core/session/token-session.ts';
import { MemoryVault } from '../../src/core/vault/memory-vault.ts';
import { captureWriter } from '@electron-oidc/test-support/cli';

interface User {
  id: string;
  sub: string;
  name?: string;
  email?: string;
  /**
   * The state its session reaches when restored (default signed-in); `ended`: the
   * provider refuses it (`invalid_grant`), so it leaves the list and, as the library
   * does, the first other account becomes the active one and is remembered.
   */
  restoresTo?: SessionState | 'ended';
}

const ALICE: User = { id: 'aliceid000000000', sub: 'alice-sub', name: 'Alice', email: 'alice@example.com' };
const BOB: User = { id: 'bobid00000000000', sub: 'bob-sub', name: 'Bob', email: 'bob@example.com' };

/**
 * The accounts of `DesktopAuth`, as the CLI sees them: stored accounts that a
 * restore loads, a remembered active one, a process-only one from
 * `restore({ account })`; only restored accounts have a state.
 */
class AccountsDouble {
  stored: User[];
  remembered: string | undefined;
  mode: AccountsMode;
  loaded = false;
  active: string | undefined;
  restored = new Set<string>();
  nextSignIn: User = ALICE;
  signOuts: SignOutOptions[] = [];
  sessionPersisted: boolean | undefined = true;
  listeners = new Set<(accounts: AccountSummary[]) => void>();

  constructor(stored: User[], remembered = stored.at(-1)?.id, mode: AccountsMode = 'multiple') {
    this.stored = [...stored];
    this.remembered = remembered;
    this.mode = mode;
  }

  find(query: string): User {
    const lower = query.toLowerCase();
    const found = this.stored.filter(
      (u) => u.id === query || u.sub === query || u.email?.toLowerCase() === lower,
    );
    if (found.length !== 1) throw new AuthError('ERR_UNKNOWN_ACCOUNT', `library text for "${query}"`);
    return found[0]!;
  }

  stateOf(id: string | undefined): SessionState {
    if (id === undefined || !this.stored.some((u) => u.id === id)) return 'signed-out';
    // As the library lists it: an account not renewed yet in this process is signed in.
    if (!this.restored.has(id)) return 'signed-in';
    const state = this.stored.find((u) => u.id === id)?.restoresTo ?? 'signed-in';
    return state === 'ended' ? 'signed-out' : state;
  }

  #restore(id: string | undefined): SessionState {
    this.#changed();
    if (id === undefined) return 'signed-out';
    this.restored.add(id);
    if (this.stored.find((u) => u.id === id)?.restoresTo === 'ended') {
      this.stored = this.stored.filter((u) => u.id !== id);
      this.active = this.remembered = this.stored[0]?.id;
      // The library restores the next account in the background.
      if (this.active !== undefined) this.restored.add(this.active);
      this.#changed();
      return this.active === undefined ? 'signed-out' : 'signing-in';
    }
    return this.stateOf(id);
  }

  #changed(): void {
    for (const listener of this.listeners) listener(this.auth.listAccounts());
  }

  get auth(): DesktopAuth {
    // The getters below are the double's own, so they reach this one by name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const profileOf = (u: User): Profile => ({ sub: u.sub, name: u.name, email: u.email });
    const activeUser = () => this.stored.find((u) => u.id === this.active);
    const double = {
      config: defineConfig({ accounts: this.mode }),
      get state() {
        return self.stateOf(self.active);
      },
      get sessionPersisted() {
        return self.sessionPersisted;
      },
      accessTokenExpiresAt: new Date('2030-01-01T00:00:00.000Z'),
      restore: async (options: { account?: string } = {}) => {
        this.loaded = true;
        this.active = options.account === undefined ? this.remembered : this.find(options.account).id;
        return this.#restore(this.active);
      },
      listAccounts: (): AccountSummary[] =>
        (this.loaded ? this.stored : []).map((u) => ({
          id: u.id,
          name: u.name,
          email: u.email,
          active: u.id === this.active,
          state: this.stateOf(u.id),
        })),
      onAccountsChange: (listener: (accounts: AccountSummary[]) => void) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      fetchApi: async () => {
        throw new Error(`the API was called as ${this.active}`);
      },
      useAccount: async (query: string) => {
        this.loaded = true;
        this.active = this.remembered = this.find(query).id;
        return this.#restore(this.active);
      },
      signIn: async () => {
        const user = this.nextSignIn;
        if (this.mode === 'single') this.stored = this.stored.filter((u) => u.id === user.id);
        if (!this.stored.some((u) => u.id === user.id)) this.stored.push(user);
        this.active = this.remembered = user.id;
        this.restored.add(user.id);
        return profileOf(user);
      },
      getProfile: async () => {
        const user = activeUser();
        return user === undefined || self.stateOf(user.id) !== 'signed-in' ? undefined : profileOf(user);
      },
      signOut: async (options: SignOutOptions = {}) => {
        this.signOuts.push(options);
        const ids =
          options.all === true
            ? this.stored.map((u) => u.id)
            : [options.account === undefined ? this.active : this.find(options.account).id];
        this.stored = this.stored.filter((u) => !ids.includes(u.id));
        if (ids.includes(this.active)) this.active = this.remembered = this.stored[0]?.id;
        return {
          revoked: ids.length > 0,
          endSessionUrl: 'https://id.example/logout?client_id=app',
          providerSessionEnded: options.endProviderSession,
        };
      },
    };
    return double as unknown as DesktopAuth;
  }
}

/** Runs the command `argv` names on `accounts`, as the CLI would after parsing it. */
async function run(accounts: AccountsDouble, ...argv: string[]) {
  const stdout = captureWriter();
  const stderr = captureWriter();
  const auth = accounts.auth;
  const vault = Object.assign(new MemoryVault(), { kind: 'keychain', persistent: true });
  const ctx: SessionContext = {
    ...terminalOf(stdout, stderr),
    auth,
    config: auth.config,
    vault,
    location: { service: 'svc', account: 'acct', directory: '/home/alice/.local/state/electron-oidc' },
    browser: !argv.includes('--no-browser'),
    signal: undefined,
    interruptible: (work) => work,
  };
  const invocation = parseCommandLine(argv) as SessionInvocation;
  const command = SESSION_COMMANDS[invocation.command] as (typeof SESSION_COMMANDS)['status'];
  let code: number;
  try {
    code = await command.run(ctx, invocation as never);
  } catch (err) {
    // What run.ts does with a library error: one line, exit 1.
    if (!(err instanceof AuthError)) throw err;
    ctx.fail(err.message);
    code = 1;
  }
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('login says whether it added or renewed an account, and which one is active', () => {
  it('adds the first account and says where the session is kept (its own keychain entry)', async () => {
    const r = await run(new AccountsDouble([]), 'login');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Signed in as Alice <alice@example.com>.',
        'Added the account aliceid000000000; it is the active account.',
        'Session kept in the keychain (service "svc", account "acct #aliceid000000000").',
        '',
      ].join('\n'),
    );
  });

  it('adds a second account, which becomes the active one', async () => {
    const accounts = new AccountsDouble([ALICE]);
    accounts.nextSignIn = BOB;
    const r = await run(accounts, 'login');
    expect(r.stdout).toContain('Signed in as Bob <bob@example.com>.\n');
    expect(r.stdout).toContain(
      'Added the account bobid00000000000; it is the active account (2 accounts signed in).\n',
    );
    expect(accounts.remembered).toBe(BOB.id);
  });

  it('renews an account already signed in', async () => {
    const accounts = new AccountsDouble([ALICE, BOB], BOB.id);
    accounts.nextSignIn = ALICE;
    const r = await run(accounts, 'login');
    expect(r.stdout).toContain(
      'Renewed the account aliceid000000000; it is the active account (2 accounts signed in).\n',
    );
  });

  it('with accounts "single", says which account the new one replaced', async () => {
    const accounts = new AccountsDouble([ALICE], ALICE.id, 'single');
    accounts.nextSignIn = BOB;
    const r = await run(accounts, 'login');
    expect(r.stdout).toContain(
      'Forgot Alice <alice@example.com> on this device: one account at a time (the "accounts" setting is "single").\n',
    );
    expect(r.stdout).toContain('Added the account bobid00000000000; it is the active account.\n');
  });

  it('reads the stored accounts before signing in', async () => {
    const accounts = new AccountsDouble([ALICE]);
    await run(accounts, 'login');
    expect(accounts.loaded).toBe(true);
  });

  it('says the session ends with the command when the keychain refused it', async () => {
    const accounts = new AccountsDouble([]);
    accounts.sessionPersisted = false;
    const r = await run(accounts, 'login');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The session could not be kept');
    expect(r.stdout).not.toContain('Session kept in');
  });
});

describe('accounts lists every account, one line each, never a token', () => {
  it('marks the active one, and shows name, email, id and state in columns', async () => {
    const r = await run(new AccountsDouble([ALICE, { ...BOB, name: 'Bob Builder' }], BOB.id), 'accounts');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '  Alice        alice@example.com  aliceid000000000  signed in',
        '* Bob Builder  bob@example.com    bobid00000000000  signed in',
        '',
      ].join('\n'),
    );
  });

  it('says when the active account is offline or must sign in again', async () => {
    let r = await run(new AccountsDouble([{ ...ALICE, restoresTo: 'offline' }]), 'accounts');
    expect(r.stdout).toBe(
      '* Alice  alice@example.com  aliceid000000000  offline (the provider cannot be reached)\n',
    );
    r = await run(new AccountsDouble([{ ...ALICE, restoresTo: 'signed-out' }]), 'accounts');
    expect(r.stdout).toContain('signed out: run "electron-oidc login" to sign in again\n');
  });

  it('shows what is missing, and control characters from the provider as "?"', async () => {
    const r = await run(
      new AccountsDouble([{ id: 'x'.repeat(16), sub: 's', name: 'Eve\u001b[31m' }]),
      'accounts',
    );
    expect(r.stdout).toBe(`* Eve?[31m  (no email)  ${'x'.repeat(16)}  signed in\n`);
  });

  it('"No accounts signed in." and exit 1 when there is none, as status', async () => {
    const r = await run(new AccountsDouble([]), 'accounts');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('electron-oidc: No accounts signed in. Run "electron-oidc login" to sign in.\n');
  });
});

describe('use <account> makes it the active one, remembered', () => {
  it('by email in any case, id or subject, and says who is active now', async () => {
    for (const query of ['ALICE@example.com', ALICE.id, ALICE.sub]) {
      const accounts = new AccountsDouble([ALICE, BOB], BOB.id);
      const r = await run(accounts, 'use', query);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('Active account: Alice <alice@example.com> (aliceid000000000).\n');
      expect(accounts.remembered).toBe(ALICE.id);
    }
  });

  it("an unknown account: exit 1, the CLI's own words, nothing changed", async () => {
    const accounts = new AccountsDouble([ALICE, BOB], BOB.id);
    const r = await run(accounts, 'use', 'carol@example.com');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'electron-oidc: No signed-in account is "carol@example.com"; "electron-oidc accounts" lists them (name one by its id, email or subject).\n',
    );
    expect(accounts.remembered).toBe(BOB.id);
  });

  it('an email two accounts share: asks for the id', async () => {
    const twin = { ...BOB, id: 'twinid0000000000', sub: 'twin', email: 'ALICE@example.com' };
    const r = await run(new AccountsDouble([ALICE, twin]), 'use', 'alice@example.com');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'electron-oidc: Several signed-in accounts have the email "alice@example.com"; name one by its id ("electron-oidc accounts" lists them).\n',
    );
  });

  it('an account whose session cannot be restored: exit 1, sign in again', async () => {
    const r = await run(
      new AccountsDouble([{ ...ALICE, restoresTo: 'signed-out' }, BOB], BOB.id),
      'use',
      'alice@example.com',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'electron-oidc: Could not restore the session of "alice@example.com"; run "electron-oidc login" to sign in again.\n',
    );
  });
});

describe('status and get --account use that account for the command only', () => {
  it('status shows the active account and how many there are', async () => {
    const r = await run(new AccountsDouble([ALICE, BOB], BOB.id), 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Signed in as Bob <bob@example.com>\n');
    expect(r.stdout).toContain(
      '  Account:  bobid00000000000; 2 accounts signed in ("electron-oidc accounts" lists them)\n',
    );
    expect(r.stdout).toContain(
      '  Session kept in: the keychain (service "svc", account "acct #bobid00000000000")\n',
    );
  });

  it('status --account alice shows alice and leaves bob the remembered active account', async () => {
    const accounts = new AccountsDouble([ALICE, BOB], BOB.id);
    const r = await run(accounts, 'status', '--account', 'alice@example.com');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Signed in as Alice <alice@example.com>\n');
    expect(r.stdout).toContain('  Account:  aliceid000000000, for this command only; 2 accounts signed in');
    expect(accounts.remembered).toBe(BOB.id);
  });

  it('status --account with an unknown account: exit 1, how to list them', async () => {
    const r = await run(new AccountsDouble([ALICE]), 'status', '--account', 'bob');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^electron-oidc: No signed-in account is "bob"; "electron-oidc accounts" lists them/,
    );
  });

  it('with no account at all: says so and how to sign in', async () => {
    const r = await run(new AccountsDouble([]), 'get', '--account', 'bob', '/private');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'electron-oidc: No account is signed in, so none is "bob". Run "electron-oidc login" to sign in.\n',
    );
  });
});

describe('logout signs out of the active account, a named one, or all', () => {
  it('logout: the active one; says who is active now', async () => {
    const accounts = new AccountsDouble([ALICE, BOB], BOB.id);
    const r = await run(accounts, 'logout');
    expect(r.code).toBe(0);
    expect(accounts.signOuts).toEqual([{ endProviderSession: true, timeoutMs: 60_000 }]);
    expect(r.stdout).toBe(
      [
        'Signed out Bob <bob@example.com> on this device; the provider revoked the session.',
        'Signed out at the provider too.',
        'Active account: Alice <alice@example.com> (aliceid000000000).',
        '',
      ].join('\n'),
    );
  });

  it('logout <account>: that one only', async () => {
    const accounts = new AccountsDouble([ALICE, BOB], ALICE.id);
    const r = await run(accounts, 'logout', 'bob@example.com', '--no-browser');
    expect(accounts.signOuts).toEqual([{ account: 'bob@example.com' }]);
    expect(r.stdout).toBe(
      [
        'Signed out Bob <bob@example.com> on this device; the provider revoked the session.',
        'To sign out at the provider too, open this URL and confirm there:',
        '  https://id.example/logout?client_id=app',
        'Active account: Alice <alice@example.com> (aliceid000000000).',
        '',
      ].join('\n'),
    );
  });

  it('logout --all: every account', async () => {
    const accounts = new AccountsDouble([ALICE, BOB]);
    const r = await run(accounts, 'logout', '--all');
    expect(accounts.signOuts).toEqual([{ all: true, endProviderSession: true, timeoutMs: 60_000 }]);
    expect(r.stdout).toBe(
      [
        'Signed out Alice <alice@example.com> and Bob <bob@example.com> on this device; the provider revoked the sessions.',
        'Signed out at the provider too.',
        '',
      ].join('\n'),
    );
  });

  it('logout <unknown>: exit 1, nothing signed out', async () => {
    const accounts = new AccountsDouble([ALICE]);
    const r = await run(accounts, 'logout', 'bob');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^electron-oidc: No signed-in account is "bob"/);
    expect(accounts.stored).toEqual([ALICE]);
  });

  it('nothing signed in: "nothing to sign out", exit 0, whatever the form', async () => {
    for (const argv of [['logout'], ['logout', 'bob'], ['logout', '--all']]) {
      const r = await run(new AccountsDouble([]), ...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toBe('Not signed in; nothing to sign out.\n');
    }
  });
});

describe('an account whose session the provider ended: the CLI says so and never acts as another account', () => {
  const ENDED =
    'The provider ended the session of Alice <alice@example.com>, so it was signed out on this device; run "electron-oidc login" to sign in again.';

  it('get --account alice: exit 1, the API not called (as bob or anyone)', async () => {
    const accounts = new AccountsDouble([{ ...ALICE, restoresTo: 'ended' }, BOB], BOB.id);
    const r = await run(accounts, 'get', '--account', 'alice@example.com', '/private');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`electron-oidc: ${ENDED} The active account is now Bob <bob@example.com>.\n`);
  });

  it('status of the active account: exit 1, says which account is active now', async () => {
    const accounts = new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id);
    const r = await run(accounts, 'status');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`electron-oidc: ${ENDED} The active account is now Bob <bob@example.com>.\n`);
  });

  it('use alice: exit 1', async () => {
    const r = await run(
      new AccountsDouble([{ ...ALICE, restoresTo: 'ended' }, BOB], BOB.id),
      'use',
      ALICE.id,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`electron-oidc: ${ENDED} The active account is now Bob <bob@example.com>.\n`);
  });

  it('logout of the active account: bob, made active by the library, is not signed out', async () => {
    const accounts = new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id);
    const r = await run(accounts, 'logout');
    expect(r.code).toBe(0);
    expect(accounts.signOuts).toEqual([]);
    expect(r.stdout).toBe(
      [
        'The provider had ended the session of Alice <alice@example.com>; it is signed out on this device.',
        'Active account: Bob <bob@example.com> (bobid00000000000).',
        '',
      ].join('\n'),
    );
  });

  it('logout alice: already signed out, nothing else signed out; logout --all: the others too', async () => {
    let accounts = new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id);
    let r = await run(accounts, 'logout', 'alice@example.com');
    expect(r.code).toBe(0);
    expect(accounts.signOuts).toEqual([]);
    accounts = new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id);
    r = await run(accounts, 'logout', '--all', '--no-browser');
    expect(accounts.signOuts).toEqual([{ all: true }]);
    expect(r.stdout).toContain('The provider had ended the session of Alice <alice@example.com>');
    expect(r.stdout).toContain('Signed out Bob <bob@example.com> on this device');
  });

  it('accounts and login: a warning line, then as usual', async () => {
    let r = await run(new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id), 'accounts');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`warning: ${ENDED} The active account is now Bob <bob@example.com>.\n`);
    expect(r.stdout).toBe('* Bob  bob@example.com  bobid00000000000  signed in\n');
    const accounts = new AccountsDouble([BOB, { ...ALICE, restoresTo: 'ended' }], ALICE.id);
    accounts.nextSignIn = ALICE;
    r = await run(accounts, 'login');
    expect(r.stderr).toMatch(/^warning: The provider ended the session of Alice/);
    expect(r.stdout).toContain(
      'Added the account aliceid000000000; it is the active account (2 accounts signed in).',
    );
  });
});
